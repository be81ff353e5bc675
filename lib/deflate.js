'use strict';
// @ts-check

// permessage-deflate, done natively. `require('faye-websocket-native').deflate`
// is a plugin with the npm package's shape and `configure` options; it, and
// the npm package's own plugin (`require('permessage-deflate')` or its
// `configure({...})` result), are recognised by name in the `extensions`
// option and drive the Rust codec: their JS never runs.

const VALID_OPTIONS = [
  'level',
  'memLevel',
  'strategy',
  'noContextTakeover',
  'maxWindowBits',
  'requestNoContextTakeover',
  'requestMaxWindowBits',
  'zlib',
];

const NAME = 'permessage-deflate';

const deflate = {
  // permessage-deflate 0.1.7's configure: unknown keys throw, and options
  // from an earlier configure() win over the new ones, as there.
  configure(options) {
    for (const key in options) {
      if (VALID_OPTIONS.indexOf(key) < 0) throw new Error('Unrecognized option: ' + key);
    }
    const previous = this._options || {};
    for (const key in previous) options[key] = previous[key];
    return Object.create(this, { _options: { value: options } });
  },

  // The registry protocol, for frameworks other than this package: the
  // native plugin has no JS sessions, so it never takes part there.
  createClientSession() {
    return null;
  },

  createServerSession() {
    return null;
  },

  name: NAME,
  type: 'permessage',
  rsv1: true,
  rsv2: false,
  rsv3: false,
};

function own(options, key) {
  return Object.prototype.hasOwnProperty.call(options, key) ? options[key] : undefined;
}

// A number option for the native side: null when undefined, NaN when not a
// number (which permessage-deflate would also reject or ignore).
function numberOption(value) {
  if (value === undefined) return null;
  return typeof value === 'number' ? value : NaN;
}

// Registers the permessage-deflate plugin in `extensions`, if any, on the
// native session. Throws for level, memLevel or strategy values zlib refuses.
function configureDeflate(session, extensions) {
  if (!extensions) return;
  const plugin = [].concat(extensions).find((ext) => ext && ext.name === NAME);
  if (!plugin) return;
  const options = plugin._options || {};
  session.setDeflate({
    level: numberOption(own(options, 'level')),
    memLevel: numberOption(own(options, 'memLevel')),
    strategy: numberOption(own(options, 'strategy')),
    noContextTakeover: Boolean(own(options, 'noContextTakeover')),
    maxWindowBits: numberOption(own(options, 'maxWindowBits')),
    requestNoContextTakeover: Boolean(own(options, 'requestNoContextTakeover')),
    requestMaxWindowBits: numberOption(own(options, 'requestMaxWindowBits')),
  });
}

module.exports = { deflate, configureDeflate, NAME };
