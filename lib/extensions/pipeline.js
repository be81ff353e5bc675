'use strict';
// @ts-check

// websocket-extensions 0.2.0's pipeline/ (cell.js, functor.js, pledge.js,
// index.js): messages pass through the sessions, incoming in reverse order
// and outgoing in forward order; a session's callbacks may finish
// asynchronously and out of order while messages keep their order.

// Resolves once done() was called, running callbacks in order.
class Pledge {
  constructor() {
    this._complete = false;
    this._callbacks = [];
  }

  static all(list) {
    const pledge = new Pledge();
    let pending = list.length;
    if (pending === 0) pledge.done();
    for (const item of list) {
      item.then(() => {
        pending -= 1;
        if (pending === 0) pledge.done();
      });
    }
    return pledge;
  }

  then(callback) {
    if (this._complete) callback();
    else this._callbacks.push(callback);
  }

  done() {
    this._complete = true;
    const callbacks = this._callbacks;
    this._callbacks = [];
    for (const callback of callbacks) callback();
  }
}

// One session method: calls run as they come, results leave in call order.
class Functor {
  constructor(session, method) {
    this._session = session;
    this._method = method;
    this._queue = [];
    this._stopped = false;
    this.pending = 0;
  }

  call(error, message, callback) {
    if (this._stopped) return;
    const record = { error, message, callback, done: false };
    let called = false;
    this._queue.push(record);

    if (record.error) {
      record.done = true;
      this._stop();
      this._flushQueue();
      return;
    }

    const handler = (err, msg) => {
      if (called) return;
      called = true;
      if (err) {
        this._stop();
        record.error = err;
        record.message = null;
      } else {
        record.message = msg;
      }
      record.done = true;
      this._flushQueue();
    };

    try {
      this._session[this._method](message, handler);
    } catch (err) {
      handler(err);
    }
  }

  _stop() {
    this.pending = this._queue.length;
    this._stopped = true;
  }

  _flushQueue() {
    const queue = this._queue;
    while (queue.length > 0 && queue[0].done) {
      const record = queue.shift();
      if (record.error) {
        this.pending = 0;
        queue.length = 0;
      } else {
        this.pending -= 1;
      }
      record.callback(record.error, record.message);
    }
  }
}

class Cell {
  constructor(ext, session) {
    this._ext = ext;
    this._session = session;
    this._closed = null;
    this._functors = {
      incoming: new Functor(session, 'processIncomingMessage'),
      outgoing: new Functor(session, 'processOutgoingMessage'),
    };
  }

  pending(direction) {
    const functor = this._functors[direction];
    if (!functor._stopped) functor.pending += 1;
  }

  exec(direction, error, message, callback) {
    this._functors[direction].call(error, message, (err, msg) => {
      if (err) err.message = this._ext.name + ': ' + err.message;
      callback(err, msg);
      this._doClose();
    });
  }

  close() {
    this._closed = this._closed || new Pledge();
    this._doClose();
    return this._closed;
  }

  _doClose() {
    const fin = this._functors.incoming;
    const fout = this._functors.outgoing;
    if (!this._closed || fin.pending + fout.pending !== 0) return;
    if (this._session) this._session.close();
    this._session = null;
    this._closed.done();
  }
}

class Pipeline {
  constructor(records) {
    this._cells = records.map(([ext, session]) => new Cell(ext, session));
    this._stopped = { incoming: false, outgoing: false };
  }

  processIncomingMessage(message, callback) {
    if (this._stopped.incoming) return;
    this._loop('incoming', this._cells.length - 1, -1, -1, message, callback);
  }

  processOutgoingMessage(message, callback) {
    if (this._stopped.outgoing) return;
    this._loop('outgoing', 0, this._cells.length, 1, message, callback);
  }

  close(callback) {
    this._stopped = { incoming: true, outgoing: true };
    const closed = this._cells.map((cell) => cell.close());
    Pledge.all(closed).then(callback);
  }

  _loop(direction, start, end, step, message, callback) {
    const cells = this._cells;
    for (let n = cells.length - 1; n >= 0; n -= 1) cells[n].pending(direction);

    const pipe = (index, error, msg) => {
      if (index === end) return callback(error, msg);
      cells[index].exec(direction, error, msg, (err, m) => {
        if (err) this._stopped[direction] = true;
        pipe(index + step, err, m);
      });
    };
    pipe(start, null, message);
  }
}

module.exports = { Pipeline };
