'use strict';
// @ts-check

// permessage-deflate as a stage of the JS pipeline, run by the native codec
// of the connection's session, so the bytes on the wire are what faye's
// permessage-deflate would send in the same place of the order.

// Messages at least `offThreadMin` long (compress_queue.js's OFF_THREAD_MIN)
// are compressed on libuv's thread pool; the stage keeps them in order, one
// at a time, as permessage-deflate's own session does with its zlib streams.
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
    if (!Buffer.isBuffer(data)) return callback(new Error(data.message));
    message.data = data;
    callback(null, message);
  }

  processOutgoingMessage(message, callback) {
    if (this._busy) return this._waiting.push([message, callback]);
    if (message.data.length < this._offThreadMin) {
      const data = this._native.pipelineDeflate(message.data);
      if (!Buffer.isBuffer(data)) return callback(new Error(data.message));
      message.data = data;
      message.rsv1 = true;
      return callback(null, message);
    }
    this._busy = true;
    this._native
      .compressJob(message.data)
      .run()
      .then(
        (result) => {
          this._busy = false;
          let error = null;
          const data = this._native.restoreCompressor(result);
          if (!Buffer.isBuffer(data)) {
            error = new Error(data.message);
          } else {
            message.data = data;
            message.rsv1 = true;
          }
          const waiting = this._waiting;
          this._waiting = [];
          callback(error, error ? null : message);
          for (const [next, cb] of waiting) this.processOutgoingMessage(next, cb);
        },
        // A panic on the thread pool: the pipeline fails the connection.
        (error) => callback(error, null)
      );
  }

  close() {}
}

module.exports = { DeflateStage };
