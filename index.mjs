// ESM entry: the CommonJS module as the default export, and its properties
// as named exports (faye-websocket cannot be imported this way:
// faye-websocket-node#82).
import WebSocket from './index.js';

export default WebSocket;
export const { isWebSocket, validateOptions, Client, EventSource, deflate } = WebSocket;
export { WebSocket };
