// Parser for herd7's C litmus dialect: `C name`, an optional doc string, the `{ init }` block,
// P0..Pn thread functions, then `locations [...]`, `filter P` and the final condition
// (`exists P`, `~exists P` or `forall P`). Syntax errors are InputErrors naming file:line;
// well-formed C that the checker does not model (loops, goto, ternaries, ...) is an
// UnsupportedError naming the construct and file:line, so a test is never silently misread.
import { InputError, UnsupportedError } from '../errors.js';
import type { Expr, InitEntry, LitmusTest, Prop, Quantifier, StateRef, Stmt, ThreadDef, ThreadParam, Value } from './ast.js';
import { tokenize, type Token } from './lexer.js';

/** Type words accepted in declarations; pointer stars are counted separately. */
const TYPE_WORDS = new Set([
  'int', 'long', 'unsigned', 'signed', 'short', 'char', 'bool', '_Bool', 'atomic_t', 'atomic_long_t', 'spinlock_t',
  'intptr_t', 'uintptr_t', 'size_t', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'const', 'volatile',
]);

/** Words herd7's C lexer reserves: a test using them as names does not parse there. */
const RESERVED = new Set(['lock', 'unlock']);

const UNSUPPORTED_STATEMENTS = new Set(['while', 'for', 'do', 'goto', 'return', 'switch', 'break', 'continue', 'case']);

export function unsupportedAt(file: string, line: number, construct: string): UnsupportedError {
  return new UnsupportedError(construct, `unsupported: ${construct} (${file}:${line})`);
}

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly file: string,
  ) {}

  private get tok(): Token {
    return this.toks[this.pos]!;
  }
  private atEof(): boolean {
    return this.tok.kind === 'eof';
  }
  private peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private is(text: string): boolean {
    return (this.tok.kind === 'punct' || this.tok.kind === 'id') && this.tok.text === text;
  }
  private accept(text: string): boolean {
    if (this.is(text)) {
      this.pos++;
      return true;
    }
    return false;
  }
  fail(msg: string, t: Token = this.tok): never {
    throw new InputError(`${this.file}:${t.line}`, msg);
  }
  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected '${text}' but found ${this.describe(this.tok)}`);
    return this.next();
  }
  /** The words and stars of a C declaration up to what follows it (`int *x` -> [int, x], 1). */
  private declarationWords(): { words: string[]; stars: number } {
    const words: string[] = [];
    let stars = 0;
    for (;;) {
      if (this.tok.kind === 'id') words.push(this.next().text);
      else if (this.accept('*')) stars++;
      else break;
    }
    return { words, stars };
  }

  private describe(t: Token): string {
    return t.kind === 'eof' ? 'end of file' : `'${t.text}'`;
  }
  private ident(): Token {
    if (this.tok.kind !== 'id') this.fail(`expected a name but found ${this.describe(this.tok)}`);
    if (RESERVED.has(this.tok.text)) this.fail(`'${this.tok.text}' is a reserved word in herd7's C dialect; rename it`);
    return this.next();
  }

  parse(): LitmusTest {
    const arch = this.next();
    if (arch.text !== 'C') this.fail(`only C litmus tests are supported, not '${arch.text}'`, arch);
    const name = this.next().text;
    let doc: string | null = null;
    if (this.tok.kind === 'str') doc = this.next().text;
    const init = this.parseInit();
    const threads: ThreadDef[] = [];
    while (this.tok.kind === 'id' && /^P\d+$/.test(this.tok.text)) threads.push(this.parseThread(threads.length));
    if (threads.length === 0) this.fail(`expected a thread P0(...) but found ${this.describe(this.tok)}`);
    let locations: StateRef[] = [];
    let filter: Prop | null = null;
    let quantifier: Quantifier | null = null;
    let condition: Prop | null = null;
    while (!this.atEof()) {
      if (this.accept('locations')) {
        this.expect('[');
        while (!this.is(']')) {
          if (this.tok.kind === 'eof') this.fail("unterminated 'locations [...]'");
          locations.push(this.parseRef());
          this.accept(';');
        }
        this.expect(']');
      } else if (this.accept('filter')) {
        filter = this.parseProp();
      } else if (this.accept('exists')) {
        quantifier = 'exists';
        condition = this.parseProp();
      } else if (this.is('~') && this.peek().text === 'exists') {
        this.pos += 2;
        quantifier = 'not-exists';
        condition = this.parseProp();
      } else if (this.accept('forall')) {
        quantifier = 'forall';
        condition = this.parseProp();
      } else if (this.tok.kind === 'id' && /^P\d+$/.test(this.tok.text)) {
        this.fail(`thread ${this.tok.text} after the condition`);
      } else {
        this.fail(`expected locations, filter, exists, ~exists or forall but found ${this.describe(this.tok)}`);
      }
    }
    if (!quantifier || !condition) this.fail('missing final condition (exists, ~exists or forall)');
    locations = dedupeRefs(locations);
    return { file: this.file, name, doc, init, threads, locations, filter, quantifier: quantifier!, condition: condition! };
  }

  // ------------------------------------------------------------------------------------ init
  private parseInit(): InitEntry[] {
    const out: InitEntry[] = [];
    this.expect('{');
    while (!this.accept('}')) {
      if (this.tok.kind === 'eof') this.fail("unterminated init block '{'");
      if (this.accept(';')) continue;
      const line = this.tok.line;
      if (this.tok.kind === 'num' && this.peek().text === ':') {
        const thread = Number(this.next().text);
        this.next();
        const reg = this.ident().text;
        this.expect('=');
        out.push({ target: { thread, reg }, value: this.parseInitValue(), type: null, line });
        continue;
      }
      const { words, stars } = this.declarationWords();
      if (words.length === 0) this.fail(`expected an initialisation but found ${this.describe(this.tok)}`);
      const name = words.pop()!;
      if (RESERVED.has(name)) this.fail(`'${name}' is a reserved word in herd7's C dialect; rename it`);
      for (const w of words) if (!TYPE_WORDS.has(w) && w !== 'struct') throw unsupportedAt(this.file, line, `type '${w}' in init block`);
      let value: Value = 0;
      if (this.accept('=')) value = this.parseInitValue();
      if (this.is('[')) throw unsupportedAt(this.file, line, 'arrays');
      const type = words.length ? words.join(' ') + '*'.repeat(stars) : null;
      out.push({ target: { loc: name }, value, type, line });
      if (!this.is('}') && !this.accept(',')) this.expect(';');
    }
    return out;
  }

  private parseInitValue(): Value {
    if (this.accept('&')) return { addr: this.ident().text };
    if (this.accept('-')) return -this.number();
    if (this.tok.kind === 'num') return this.number();
    if (this.tok.kind === 'id') {
      const t = this.next();
      if (t.text === 'ATOMIC_INIT') {
        this.expect('(');
        const v = this.parseInitValue();
        this.expect(')');
        return v;
      }
      if (t.text === 'NULL') return 0;
      return { addr: t.text };
    }
    return this.fail(`expected a value but found ${this.describe(this.tok)}`);
  }

  private number(): number {
    const t = this.tok;
    if (t.kind !== 'num') this.fail(`expected a number but found ${this.describe(t)}`);
    this.next();
    return Number(t.text);
  }

  // --------------------------------------------------------------------------------- threads
  private parseThread(expected: number): ThreadDef {
    const head = this.next();
    const index = Number(head.text.slice(1));
    if (index !== expected) this.fail(`expected thread P${expected} but found ${head.text}`, head);
    this.expect('(');
    const params: ThreadParam[] = [];
    while (!this.accept(')')) {
      if (this.tok.kind === 'eof') this.fail('unterminated parameter list');
      const { words, stars } = this.declarationWords();
      if (words.length < 2) this.fail(`expected a parameter 'type *name' but found ${this.describe(this.tok)}`);
      const name = words.pop()!;
      if (RESERVED.has(name)) this.fail(`'${name}' is a reserved word in herd7's C dialect; rename it`, head);
      const type = words.filter((w) => w !== 'const' && w !== 'volatile' && w !== 'struct').join(' ');
      if (stars === 0) throw unsupportedAt(this.file, head.line, `non-pointer thread parameter '${name}'`);
      params.push({ name, type, pointerDepth: stars });
      if (!this.is(')')) this.expect(',');
    }
    this.expect('{');
    const body: Stmt[] = [];
    while (!this.accept('}')) {
      if (this.tok.kind === 'eof') this.fail(`unterminated body of P${index}`, head);
      body.push(...this.parseStmt());
    }
    return { index, params, body, line: head.line };
  }

  private isTypeStart(): boolean {
    return this.tok.kind === 'id' && TYPE_WORDS.has(this.tok.text);
  }

  private parseStmt(): Stmt[] {
    const t = this.tok;
    const line = t.line;
    if (this.accept(';')) return [];
    if (this.accept('{')) {
      const body: Stmt[] = [];
      while (!this.accept('}')) {
        if (this.tok.kind === 'eof') this.fail('unterminated block', t);
        body.push(...this.parseStmt());
      }
      return [{ kind: 'block', body, line }];
    }
    if (t.kind === 'id' && UNSUPPORTED_STATEMENTS.has(t.text)) throw unsupportedAt(this.file, line, `'${t.text}' statement`);
    if (this.accept('if')) {
      this.expect('(');
      const cond = this.parseExpr();
      this.expect(')');
      const thenS = blockOf(this.parseStmt(), line);
      let elseS: Stmt | null = null;
      if (this.accept('else')) elseS = blockOf(this.parseStmt(), this.tok.line);
      return [{ kind: 'if', cond, then: thenS, else: elseS, line }];
    }
    if (this.isTypeStart()) {
      const out: Stmt[] = [];
      while (this.isTypeStart()) this.next();
      for (;;) {
        while (this.accept('*'));
        const name = this.ident();
        if (this.is('[')) throw unsupportedAt(this.file, line, 'arrays');
        const init = this.accept('=') ? this.parseExpr() : null;
        out.push({ kind: 'decl', name: name.text, init, line });
        if (!this.accept(',')) break;
      }
      this.expect(';');
      return out;
    }
    const e = this.parseExpr();
    if (this.accept('=')) {
      if (e.kind !== 'name' && e.kind !== 'deref') this.fail('left side of = is not assignable');
      const value = this.parseExpr();
      this.expect(';');
      return [{ kind: 'assign', target: e, value, line }];
    }
    if (this.tok.kind === 'punct' && ['+', '-', '*', '|', '&', '^'].includes(this.tok.text) && this.peek().text === '=')
      throw unsupportedAt(this.file, line, 'compound assignment');
    if (this.is('?')) throw unsupportedAt(this.file, line, 'conditional expression ?:');
    if (this.is('+') && this.peek().text === '+') throw unsupportedAt(this.file, line, 'increment operator ++');
    this.expect(';');
    return [{ kind: 'expr', expr: e, line }];
  }

  // ----------------------------------------------------------------------------- expressions
  private static readonly LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

  parseExpr(level = 0): Expr {
    if (level >= Parser.LEVELS.length) return this.parseUnary();
    let left = this.parseExpr(level + 1);
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'punct' || !Parser.LEVELS[level]!.includes(t.text)) break;
      // `x - = ...` never occurs; `+ =` would be a compound assignment, handled by the caller.
      if (this.peek().text === '=' && ['+', '-', '*', '|', '&', '^', '/', '%'].includes(t.text)) break;
      this.next();
      const right = this.parseExpr(level + 1);
      left = { kind: 'binary', op: t.text, left, right, line: t.line };
    }
    if (level === 0 && this.is('?')) throw unsupportedAt(this.file, this.tok.line, 'conditional expression ?:');
    return left;
  }

  private parseUnary(): Expr {
    const t = this.tok;
    if (this.accept('*')) return { kind: 'deref', target: this.parseUnary(), line: t.line };
    if (this.accept('&')) {
      const n = this.ident();
      return { kind: 'addr', name: n.text, line: t.line };
    }
    if (this.accept('!')) return { kind: 'unary', op: '!', arg: this.parseUnary(), line: t.line };
    if (this.accept('~')) return { kind: 'unary', op: '~', arg: this.parseUnary(), line: t.line };
    if (this.accept('-')) return { kind: 'unary', op: '-', arg: this.parseUnary(), line: t.line };
    if (this.is('(') && this.peek().kind === 'id' && (this.peek().text === 'void' || TYPE_WORDS.has(this.peek().text))) {
      // A cast: `(void)e` discards the value; other casts are value-preserving here.
      this.next();
      const isVoid = this.tok.text === 'void';
      while (this.tok.kind === 'id' || this.is('*')) this.next();
      this.expect(')');
      const arg = this.parseUnary();
      return isVoid ? { kind: 'void', arg, line: t.line } : arg;
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    const t = this.tok;
    if (this.accept('(')) {
      const e = this.parseExpr();
      this.expect(')');
      return e;
    }
    if (t.kind === 'num') {
      this.next();
      return { kind: 'num', value: Number(t.text), line: t.line };
    }
    if (t.kind === 'id') {
      this.next();
      if (this.accept('(')) {
        const args: Expr[] = [];
        while (!this.accept(')')) {
          if (this.tok.kind === 'eof') this.fail(`unterminated call to ${t.text}`, t);
          args.push(this.parseExpr());
          if (!this.is(')')) this.expect(',');
        }
        return { kind: 'call', fn: t.text, args, line: t.line };
      }
      if (this.is('[')) throw unsupportedAt(this.file, t.line, 'arrays');
      if (this.is('->') || this.is('.')) throw unsupportedAt(this.file, t.line, 'structure fields');
      if (RESERVED.has(t.text)) this.fail(`'${t.text}' is a reserved word in herd7's C dialect; rename it`, t);
      if (t.text === 'NULL') return { kind: 'num', value: 0, line: t.line };
      if (t.text === 'true') return { kind: 'num', value: 1, line: t.line };
      if (t.text === 'false') return { kind: 'num', value: 0, line: t.line };
      return { kind: 'name', name: t.text, line: t.line };
    }
    if (t.kind === 'str') throw unsupportedAt(this.file, t.line, 'string literal');
    return this.fail(`expected an expression but found ${this.describe(t)}`);
  }

  // ------------------------------------------------------------------------------ conditions
  private parseProp(): Prop {
    return this.parseImplies();
  }
  private parseImplies(): Prop {
    const left = this.parseOr();
    if (this.accept('=>')) return { kind: 'implies', left, right: this.parseImplies() };
    return left;
  }
  private parseOr(): Prop {
    let left = this.parseAnd();
    while (this.accept('\\/')) left = { kind: 'or', left, right: this.parseAnd() };
    return left;
  }
  private parseAnd(): Prop {
    let left = this.parseNot();
    while (this.accept('/\\')) left = { kind: 'and', left, right: this.parseNot() };
    return left;
  }
  private parseNot(): Prop {
    if (this.accept('~') || this.accept('not')) return { kind: 'not', arg: this.parseNot() };
    if (this.accept('(')) {
      const p = this.parseProp();
      this.expect(')');
      return p;
    }
    if (this.accept('true')) return { kind: 'true' };
    if (this.accept('false')) return { kind: 'false' };
    const ref = this.parseRef();
    let negated = false;
    if (this.accept('!=')) negated = true;
    else if (!this.accept('==')) this.expect('=');
    const value = this.parseCondValue();
    return { kind: 'eq', ref, value, negated };
  }
  private parseCondValue(): Value {
    if (this.accept('-')) return -this.number();
    if (this.tok.kind === 'num') return this.number();
    if (this.accept('&')) return { addr: this.ident().text };
    if (this.tok.kind === 'id') return { addr: this.next().text };
    return this.fail(`expected a value but found ${this.describe(this.tok)}`);
  }
  private parseRef(): StateRef {
    if (this.tok.kind === 'num' && this.peek().text === ':') {
      const thread = Number(this.next().text);
      this.next();
      return { thread, reg: this.ident().text };
    }
    if (this.accept('[')) {
      const loc = this.ident().text;
      this.expect(']');
      return { loc };
    }
    if (this.is('*')) throw unsupportedAt(this.file, this.tok.line, 'dereference in a condition');
    return { loc: this.ident().text };
  }
}

function blockOf(stmts: Stmt[], line: number): Stmt {
  return stmts.length === 1 ? stmts[0]! : { kind: 'block', body: stmts, line };
}

function dedupeRefs(refs: StateRef[]): StateRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = 'loc' in r ? r.loc : `${r.thread}:${r.reg}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Parses one litmus test; `file` names it in errors. */
export function parseLitmus(text: string, file: string): LitmusTest {
  return new Parser(tokenize(text, file), file).parse();
}
