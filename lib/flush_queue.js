'use strict';
// @ts-check

// Connections and EventSources with bytes queued in this tick, flushed
// together on the next tick in the order they first queued. One
// process.nextTick for all of them: the callback costs more than the write
// bookkeeping it schedules. Each member has `_flushScheduled` and `_flush()`.
let pending = [];
let scheduled = false;

function scheduleFlush(member) {
  if (member._flushScheduled) return;
  member._flushScheduled = true;
  pending.push(member);
  if (scheduled) return;
  scheduled = true;
  process.nextTick(flushPending);
}

function flushPending() {
  // A member that queues more while this runs (from a 'drain', a write
  // callback or an error listener) is flushed on another tick.
  const members = pending;
  pending = [];
  scheduled = false;
  for (let i = 0; i < members.length; i += 1) {
    const member = members[i];
    member._flushScheduled = false;
    member._flush();
  }
}

module.exports = { scheduleFlush };
