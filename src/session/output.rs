//! The bytes a session queues for the socket, and the thread's buffer pool:
//! connections take turns with one spare output buffer and one compression
//! scratch buffer, so an idle connection keeps neither.

use std::cell::Cell;

/// Capacity the thread's spare output and compression scratch buffers
/// keep between uses; more is released.
const KEPT_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// Compressed bytes of the message being sent. Only used within one
    /// `send_message`, so the thread's sessions share it: a connection
    /// does not keep up to `KEPT_CAPACITY` of its own.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };

    /// The last output buffer emptied by a flush, for the next session that
    /// writes: connections take turns with one buffer, so an idle one keeps
    /// none and a flush does not cost a free and an allocation.
    static SPARE_OUTPUT: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Bytes queued for the socket. While empty it has no buffer of its own.
#[derive(Default)]
pub(super) struct Output(Vec<u8>);

impl Output {
    /// For writing: takes the thread's spare buffer when it has none.
    pub(super) fn buffer(&mut self) -> &mut Vec<u8> {
        if self.0.capacity() == 0 {
            self.0 = SPARE_OUTPUT.take();
        }
        &mut self.0
    }

    /// The bytes queued, in order.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Drops the first `length` bytes (all of them: as `release`).
    pub(super) fn consume(&mut self, length: usize) {
        if length >= self.0.len() {
            self.release();
        } else {
            self.0.drain(..length);
        }
    }

    /// Empties it; the buffer becomes the thread's spare.
    pub(super) fn release(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() == 0 {
            return;
        }
        buffer.clear();
        buffer.shrink_to(KEPT_CAPACITY);
        SPARE_OUTPUT.set(buffer);
    }
}

/// The thread's compression scratch buffer (see `SCRATCH`), for one
/// `send_message`; give it back with [`keep_scratch`].
pub(super) fn take_scratch() -> Vec<u8> {
    SCRATCH.take()
}

/// Empties the scratch buffer and keeps it (up to `KEPT_CAPACITY`) for the
/// next message the thread sends.
pub(super) fn keep_scratch(mut scratch: Vec<u8>) {
    scratch.clear();
    scratch.shrink_to(KEPT_CAPACITY);
    SCRATCH.set(scratch);
}

#[cfg(test)]
mod tests {
    use crate::test_support::open_server;

    #[test]
    fn clearing_output_releases_the_buffer() {
        let mut session = open_server();
        session.send_binary(&[0; 16]);
        session.clear_output();
        assert_eq!(session.output.0.capacity(), 0);
    }

    #[test]
    fn a_released_output_buffer_goes_to_the_next_writer() {
        let mut first = open_server();
        let mut second = open_server();
        first.send_binary(&[0; 100]);
        let buffer = first.output().as_ptr();
        first.clear_output();
        second.send_binary(&[0; 10]);
        assert_eq!(second.output().as_ptr(), buffer);
    }
}
