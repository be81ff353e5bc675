'use strict';
// @ts-check

const Event = require('./event');

// faye's EventTarget mixin, layered on EventEmitter: `on<type>` handlers run
// before emitter listeners, and addEventListener adds duplicates as `on` does.
const EventTarget = {
  onopen: null,
  onmessage: null,
  onerror: null,
  onclose: null,

  addEventListener(type, listener) {
    this.on(type, listener);
  },

  removeEventListener(type, listener) {
    this.removeListener(type, listener);
  },

  dispatchEvent(event) {
    event.target = event.currentTarget = this;
    event.eventPhase = Event.AT_TARGET;

    const handler = this['on' + event.type];
    if (handler) handler.call(this, event);

    this.emit(event.type, event);
  },
};

// Copies the mixin onto a class prototype, as faye does.
function mixEventTarget(Class) {
  for (const key of Object.keys(EventTarget)) Class.prototype[key] = EventTarget[key];
}

module.exports = { EventTarget, mixEventTarget };
