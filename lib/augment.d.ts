// For `tsc --checkJs` (tsconfig.json): what it cannot infer from lib/'s JS.
// No runtime counterpart.

export {};

declare module './connection' {
  interface Connection {
    // event_target.js's mixin, copied onto the prototype by mixEventTarget.
    onopen: ((event: object) => void) | null;
    onmessage: ((event: object) => void) | null;
    onerror: ((event: object) => void) | null;
    onclose: ((event: object) => void) | null;
    addEventListener(type: string, listener: (...args: any[]) => void): void;
    removeEventListener(type: string, listener: (...args: any[]) => void): void;
    dispatchEvent(event: object): void;

    // Set by outbox.js once the socket's buffer is over its high-water
    // mark; first assigned there, not in the constructor (as before the
    // split), so tsc does not see it declared.
    _writeBlocked: boolean | undefined;
  }
}
