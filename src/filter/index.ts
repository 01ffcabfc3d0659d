// Filters that annotate or drop findings after analysis: in-code suppressions, Kconfig facts.
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
export { dropNeverBuilt, requiredOptions, type NeverBuiltFacts } from './never-built.js';
