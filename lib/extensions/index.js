'use strict';

// Extensions other than permessage-deflate, through websocket-extensions
// 0.2.0's protocol, laid out as its lib/ is: the registry here (its
// websocket_extensions.js), parser.js, pipeline.js (its pipeline/) and
// deflate_stage.js. Negotiation runs in registration order with RSV bits
// reserved (Extensions#add's checks are in ../options.js), and messages go
// through the pipeline of the sessions the handshake activated.
//
// permessage-deflate, when registered too, keeps its place in that order: it
// becomes a stage of the pipeline run by the native codec, so the bytes on
// the wire are what faye would send. Without any other extension none of
// this runs and messages never leave the native session.

const { NAME: DEFLATE } = require('../deflate');
const { parseHeader, serializeParams } = require('./parser');
const { Pipeline } = require('./pipeline');
const { DeflateStage } = require('./deflate_stage');

// ----- the registry (websocket_extensions.js) -----

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
