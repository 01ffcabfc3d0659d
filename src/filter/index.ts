// Filters that annotate findings after analysis: in-code suppressions.
export {
  suppressFindings,
  seriesSuppressionText,
  diskSuppressionText,
  RULE_WITHOUT_REASON,
  RULE_UNUSED,
  type SuppressionText,
  type SuppressOptions,
  type SuppressResult,
} from './suppress.js';
export { findSuppressions, linesOf, covers, type LineText, type SuppressionComment } from './suppression-comments.js';
