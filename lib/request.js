'use strict';
// @ts-check

// websocket-driver's Server.isSecureRequest: a TLS socket, or a header a
// TLS-terminating proxy sets. Decides ws:/wss: and http:/https: URLs.
function isSecureRequest(request) {
  if (request.connection && request.connection.authorized !== undefined) return true;
  if (request.socket && request.socket.secure) return true;

  const headers = request.headers;
  if (!headers) return false;
  return (
    headers['https'] === 'on' ||
    headers['x-forwarded-ssl'] === 'on' ||
    headers['x-forwarded-scheme'] === 'https' ||
    headers['x-forwarded-proto'] === 'https'
  );
}

// The `headers` option as [names, values]: websocket-driver's Headers#set
// skips undefined values and calls toString() on the rest (so null throws
// faye's TypeError). The native header list does the rest of its rules.
/** @returns {[string[], string[]]} */
function headerOption(headers) {
  const names = [];
  const values = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    names.push(name.toString());
    values.push(value.toString());
  }
  return [names, values];
}

// A request header as a string, or null when absent.
function header(request, name) {
  const value = request.headers && request.headers[name];
  return value === undefined ? null : String(value);
}

module.exports = { isSecureRequest, headerOption, header };
