// From a unit's text to function models: preprocess, parse once, detect roles, walk each function.
import type { Node as SyntaxNode, Tree } from 'web-tree-sitter';
import type { AnalysisUnit, FunctionModel, KnowledgeBase } from './types.js';
import { parseC } from './parser.js';
import { preprocess } from './preprocess.js';
import { detectRoles } from './roles.js';
import { collectUnitFacts, FunctionWalker } from './walk.js';

export interface ParsedUnit {
  unit: AnalysisUnit;
  tree: Tree;
  functions: FunctionModel[];
}

function functionNodes(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode) => {
    for (const c of n.namedChildren) {
      if (!c) continue;
      if (c.type === 'function_definition') out.push(c);
      else if (c.type === 'ERROR' || c.type.startsWith('preproc_') || c.type === 'linkage_specification' || c.type === 'declaration_list') visit(c);
    }
  };
  visit(root);
  return out;
}

/** Parses one unit and walks its functions. The caller deletes `tree` when the models are done. */
export async function modelUnit(unit: AnalysisUnit, kb: KnowledgeBase): Promise<ParsedUnit> {
  const tree = await parseC(preprocess(unit.text));
  const root = tree.rootNode;
  let roles;
  try {
    roles = detectRoles(root);
  } catch {
    roles = new Map();
  }
  const facts = collectUnitFacts(root, roles);
  const functions: FunctionModel[] = [];
  for (const fn of functionNodes(root)) {
    if (!fn.childForFieldName('body')) continue;
    functions.push(new FunctionWalker(unit, kb, facts).walk(fn));
  }
  return { unit, tree, functions };
}
