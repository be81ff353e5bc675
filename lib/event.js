'use strict';
// @ts-check

// faye's Event: a plain object with the event's fields, not a DOM Event.
// Fields are assigned in faye's order so that Object.keys() matches.
class Event {
  constructor(type, fields) {
    this.type = type;
    for (const key in fields) this[key] = fields[key];
    this.bubbles = false;
    this.cancelable = false;
  }

  initEvent(type, bubbles, cancelable) {
    this.type = type;
    this.bubbles = bubbles;
    this.cancelable = cancelable;
  }

  stopPropagation() {}

  preventDefault() {}
}

Event.CAPTURING_PHASE = 1;
Event.AT_TARGET = 2;
Event.BUBBLING_PHASE = 3;

module.exports = Event;
