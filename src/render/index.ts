// Renderers: pure formatters from a Report (and, for GitHub, what earlier runs left) to text.
export { renderText, verdictSummary, interleavingTable, type TextOptions } from './text.js';
export { renderJson } from './json.js';
export { renderSarif, buildSarif, sarifRuleId, sarifLevel, FINGERPRINT_KEY, SARIF_SCHEMA_URI, type SarifOptions } from './sarif.js';
export { renderMermaidSequence, mermaidText } from './mermaid.js';
export {
  planReview,
  activeFindings,
  commentAnchor,
  encodeMarker,
  decodeMarker,
  findingIdOfComment,
  REVIEW_MARKER,
  FINDING_MARKER,
  type ReviewPlan,
  type ReviewInput,
  type ReviewComment,
  type ReviewState,
  type RememberedFinding,
  type PriorReviews,
} from './github-review.js';
