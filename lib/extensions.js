'use strict';

// Extensions other than permessage-deflate, through websocket-extensions
// 0.2.0's protocol (behaviour reference §6.1): negotiation in registration
// order with RSV bits reserved, and a message pipeline through the sessions
// (incoming in reverse order, outgoing in forward order) whose callbacks may
// finish asynchronously and out of order while messages keep their order.
//
// permessage-deflate, when registered too, keeps its place in that order: it
// becomes a stage of the pipeline run by the native codec, so the bytes on
// the wire are what faye would send. Without any other extension none of
// this runs and messages never leave the native session.

const native = require('./binding');
const { NAME: DEFLATE } = require('./deflate');

// ----- websocket-extensions' parser.js -----

const NOTOKEN = /([^!#$%&'*+\-.^_`|~0-9A-Za-z])/g;

const hasOwn = Object.prototype.hasOwnProperty;

// websocket-extensions' Parser.parseHeader on the native parser
// (src/extension_header.rs), which takes linear time on hostile headers:
// [{name, params}] in header order, a repeated key becoming an array as in
// faye; throws faye's SyntaxError.
function parseHeader(header) {
  if (header === '' || header === undefined || header === null) return [];
  const offers = native.parseExtensionHeader(header);
  if (offers === null) throw new SyntaxError('Invalid Sec-WebSocket-Extensions header: ' + header);
  return offers.map(({ name, params }) => {
    const offer = {};
    for (const { key, value } of params) {
      if (hasOwn.call(offer, key)) {
        offer[key] = [].concat(offer[key]);
        offer[key].push(value);
      } else {
        offer[key] = value;
      }
    }
    return { name, params: offer };
  });
}

function serializeParams(name, params) {
  const values = [];
  const print = (key, value) => {
    if (value instanceof Array) {
      value.forEach((v) => print(key, v));
    } else if (value === true) {
      values.push(key);
    } else if (typeof value === 'number') {
      values.push(key + '=' + value);
    } else if (NOTOKEN.test(value)) {
      values.push(key + '="' + value.replace(/"/g, '\\"') + '"');
    } else {
      values.push(key + '=' + value);
    }
  };
  for (const key in params) print(key, params[key]);
  return [name].concat(values).join('; ');
}

// ----- websocket-extensions' pipeline -----

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

// ----- permessage-deflate as a pipeline stage -----

// Messages at least this long are compressed on libuv's thread pool (see
// connection.js); the stage keeps them in order, one at a time, as
// permessage-deflate's own session does with its zlib streams.
class DeflateStage {
  constructor(native, offThreadMin) {
    this._native = native;
    this._offThreadMin = offThreadMin;
    this._busy = false;
    this._waiting = [];
  }

  processIncomingMessage(message, callback) {
    if (!message.rsv1) return callback(null, message);
    const data = this._native.pipelineInflate(message.data);
    if (data === null) return callback(new Error(this._native.pipelineError));
    message.data = data;
    callback(null, message);
  }

  processOutgoingMessage(message, callback) {
    if (this._busy) return this._waiting.push([message, callback]);
    if (message.data.length < this._offThreadMin) {
      const data = this._native.pipelineDeflate(message.data);
      if (data === null) return callback(new Error(this._native.pipelineError));
      message.data = data;
      message.rsv1 = true;
      return callback(null, message);
    }
    this._busy = true;
    this._native.compressJob(message.data).run().then((result) => {
      this._busy = false;
      let error = null;
      const data = this._native.restoreCompressor(result);
      if (data === null) {
        error = new Error(this._native.pipelineError);
      } else {
        message.data = data;
        message.rsv1 = true;
      }
      const waiting = this._waiting;
      this._waiting = [];
      callback(error, error ? null : message);
      for (const [next, cb] of waiting) this.processOutgoingMessage(next, cb);
    });
  }

  close() {}
}

// ----- the registry -----

const RSV_BITS = { rsv1: 0x40, rsv2: 0x20, rsv3: 0x10 };

// Whether `extensions` holds anything besides permessage-deflate.
function needsPipeline(extensions) {
  if (!extensions) return false;
  return [].concat(extensions).some((ext) => ext && ext.name !== DEFLATE);
}

class Extensions {
  // `list`: the `extensions` option (already checked); `native`: the
  // session; `offThreadMin`: see DeflateStage.
  constructor(list, native, maxLength, offThreadMin) {
    this._inOrder = [].concat(list);
    this._native = native;
    this._options = { maxLength };
    this._offThreadMin = offThreadMin;
    this._rsv = { rsv1: null, rsv2: null, rsv3: null };
    this._sessions = [];
    this._index = {};
    this.pipeline = null;
  }

  // Every RSV bit the active extensions claim, in frame-byte places.
  allowedRsv() {
    let bits = 0;
    for (const [ext] of this._sessions) {
      for (const key in RSV_BITS) if (ext[key]) bits |= RSV_BITS[key];
    }
    return bits;
  }

  // Server: websocket-extensions' generateResponse. Returns the native
  // handshake's `JsNegotiation`; throws SyntaxError for a malformed header.
  serverNegotiation(header) {
    const offers = parseHeader(header === null ? undefined : header);
    const sessions = [];
    const response = [];
    let useDeflate = false;

    for (const ext of this._inOrder) {
      const offer = offers.filter((o) => o.name === ext.name).map((o) => o.params);
      if (offer.length === 0 || this._reserved(ext)) continue;

      let session;
      let params;
      if (ext.name === DEFLATE) {
        const answer = this._native.deflateServerResponse(header);
        if (answer === null) continue;
        session = new DeflateStage(this._native, this._offThreadMin);
        useDeflate = true;
        this._reserve(ext);
        sessions.push([ext, session]);
        response.push(answer);
        continue;
      }
      session = ext.createServerSession(offer, this._options);
      if (!session) continue;
      this._reserve(ext);
      sessions.push([ext, session]);
      params = session.generateResponse();
      response.push(serializeParams(ext.name, params));
    }

    this._sessions = sessions;
    this.pipeline = new Pipeline(sessions);
    return {
      response: response.length > 0 ? response.join(', ') : undefined,
      useDeflate,
      allowedRsv: this.allowedRsv(),
    };
  }

  // Client: websocket-extensions' generateOffer; throws permessage-deflate's
  // errors for bad window bits.
  clientOffer() {
    const sessions = [];
    const offer = [];
    const index = {};
    for (const ext of this._inOrder) {
      let session;
      let offers;
      if (ext.name === DEFLATE) {
        const value = this._native.deflateClientOffer();
        session = new DeflateStage(this._native, this._offThreadMin);
        const record = [ext, session];
        sessions.push(record);
        index[ext.name] = record;
        if (value !== null) offer.push(value);
        continue;
      }
      session = ext.createClientSession(this._options);
      if (!session) continue;
      const record = [ext, session];
      sessions.push(record);
      index[ext.name] = record;
      offers = session.generateOffer();
      offers = offers ? [].concat(offers) : [];
      for (const off of offers) offer.push(serializeParams(ext.name, off));
    }
    this._sessions = sessions;
    this._index = index;
    return offer.length > 0 ? offer.join(', ') : null;
  }

  // Client: websocket-extensions' activate; throws with its messages.
  activate(header) {
    const responses = parseHeader(header);
    const sessions = [];
    for (const { name, params } of responses) {
      const record = this._index[name];
      if (!record) throw new Error('Server sent an extension response for unknown extension "' + name + '"');

      const [ext, session] = record;
      const reserved = this._reserved(ext);
      if (reserved) {
        throw new Error(
          'Server sent two extension responses that use the RSV' +
            reserved[0] +
            ' bit: "' +
            reserved[1] +
            '" and "' +
            ext.name +
            '"'
        );
      }
      const accepted =
        ext.name === DEFLATE
          ? this._native.activateDeflate(serializeParams(name, params))
          : session.activate(params) === true;
      if (!accepted) {
        throw new Error('Server sent unacceptable extension parameters: ' + serializeParams(name, params));
      }
      this._reserve(ext);
      sessions.push(record);
    }
    this._sessions = sessions;
    this.pipeline = new Pipeline(sessions);
  }

  _reserve(ext) {
    for (const key in RSV_BITS) this._rsv[key] = this._rsv[key] || (ext[key] && ext.name);
  }

  _reserved(ext) {
    if (this._rsv.rsv1 && ext.rsv1) return [1, this._rsv.rsv1];
    if (this._rsv.rsv2 && ext.rsv2) return [2, this._rsv.rsv2];
    if (this._rsv.rsv3 && ext.rsv3) return [3, this._rsv.rsv3];
    return false;
  }
}

module.exports = { Extensions, needsPipeline, parseHeader, serializeParams, Pipeline };
