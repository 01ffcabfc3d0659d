// The mailing-list door's state: what was read, reviewed and answered (store.ts), and the loop
// that reviews every series of an inbox exactly once (review-once.ts).
export { ReviewState, DELIVERED, type StoredMessage, type StoredReply, type StoredSeries, type ReplyStatus } from './store.js';
export { runInbox, type InboxRunOptions, type InboxRunResult } from './review-once.js';
