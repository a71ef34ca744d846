/**
 * The pickle interpreter's opcodes outside the hot loop: imports and calls (GLOBAL, STACK_GLOBAL,
 * INST, OBJ, REDUCE, NEWOBJ, NEWOBJ_EX, EXT*, persistent ids), BUILD and the loader hooks that run
 * on it (joblib's inline arrays), protocol-0 text opcodes and the rare data opcodes. An opcode
 * that is none of these ends the walk as malformed.
 */
import type { Finding } from "../../core/finding.js";
import { ConstantReader, NESTED_MIN } from "./constants.js";
import { Halt } from "./halt.js";
import { type PickleHookIO, type PickleValue, SymbolicDict, SymbolicObject } from "./types.js";
import { BUFFER, FROZENSET, LIST, PICKLE_FIRST, SET } from "./values.js";

export abstract class ObjectOpcodes extends ConstantReader {
  io: PickleHookIO | undefined = undefined;

  private build(): void {
    const state = this.pop();
    const target = this.top();
    const suffix = target instanceof SymbolicObject ? ".__setstate__" : "";
    const origin = target instanceof SymbolicObject ? target.callable : target;
    this.recordCall("BUILD", origin, suffix);
    if (target instanceof SymbolicObject) {
      target.state = state;
      this.noteAttributeBuilt(target);
    }
    const hook = this.cfg.hooks.onBuild;
    if (hook === undefined) return;
    this.io ??= this.hookIO();
    const replaced = hook({ target, state, offset: this.opStart }, this.io);
    if (replaced !== undefined) this.stack[this.stack.length - 1] = replaced;
  }

  private hookIO(): PickleHookIO {
    const self = this;
    return {
      get position() {
        return self.pos;
      },
      get limit() {
        return self.cfg.limit;
      },
      // The loader's hook reads its file handle directly, outside any frame.
      read: (length) => {
        self.clearFrame();
        return self.take(length).slice();
      },
      skip: (length) => {
        self.clearFrame();
        self.skip(length);
      },
      walkInline: () => self.walkInline(),
      checkNested: (length: number) => {
        if (self.cfg.sniff || length < NESTED_MIN || length > self.cfg.limit - self.pos) return;
        const head = self.cfg.source.read(self.pos, 1);
        if (PICKLE_FIRST[head[0] as number])
          self.nestedIn(self.cfg.source, self.pos, self.pos + length, false);
      },
      report: (f: Finding) => {
        if (!self.cfg.sniff) self.result.findings.push(f);
      },
      fail: (message: string) => self.malformed(message),
    };
  }

  /** Opcodes outside the hot loop (see data-opcodes.ts); invalid opcodes end the walk as malformed. */
  protected otherOpcode(op: number): void {
    if (!this.callOpcode(op)) this.rareDataOpcode(op);
  }

  /** Imports, calls, BUILD and persistent ids: true when `op` is one of them. */
  private callOpcode(op: number): boolean {
    switch (op) {
      case 0x50: // PERSID
        this.persId();
        return true;
      case 0x51: // BINPERSID
        this.binPersId();
        return true;
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const fn = this.pop();
        this.push(this.call("REDUCE", fn, args));
        return true;
      }
      case 0x62: // BUILD
        this.build();
        return true;
      case 0x63: {
        // GLOBAL
        const [module, name, ok, cut] = this.twoLines();
        this.push(this.recordImport(module, name, "GLOBAL", false, ok));
        if (cut) throw cut; // the pure-Python reading imported, then meets the end of the data
        return true;
      }
      case 0x69: {
        // INST: import, then call it with the items above the mark
        const [module, name, ok, cut] = this.twoLines();
        const cls = this.recordImport(module, name, "INST", false, ok);
        const items = this.popMarkItems();
        this.push(this.call("INST", cls, this.tuple(items)));
        if (cut) throw cut; // the pure-Python reading imported and called, then meets the end
        return true;
      }
      case 0x6f: {
        // OBJ: class and args above the mark
        const m = this.marks[this.marks.length - 1];
        if (m !== undefined && this.stack.length - m < 1)
          this.malformed("unpickling stack underflow");
        const items = this.popMarkItems();
        const cls = items.shift() as PickleValue;
        this.push(this.call("OBJ", cls, this.tuple(items)));
        return true;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = this.pop();
        const cls = this.pop();
        this.push(this.call("NEWOBJ", cls, args));
        return true;
      }
      case 0x82: // EXT1
        this.ext("EXT1", this.u8());
        return true;
      case 0x83: // EXT2
        this.ext("EXT2", this.u16());
        return true;
      case 0x84: // EXT4
        this.ext("EXT4", this.i32());
        return true;
      case 0x92: {
        // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        void kwargs;
        this.push(this.call("NEWOBJ_EX", cls, args));
        return true;
      }
      case 0x93: // STACK_GLOBAL
        this.stackGlobal();
        return true;
      default:
        return false;
    }
  }

  /** Protocol-0 text constants, memo by decimal index, and the rarely used containers. */
  private rareDataOpcode(op: number): void {
    switch (op) {
      case 0x31: // POP_MARK
        this.popMarkDiscard();
        break;
      case 0x46: // FLOAT
        this.push(this.floatLine());
        break;
      case 0x49: // INT
        this.push(this.intLine());
        break;
      case 0x4c: // LONG
        this.push(this.longLine());
        break;
      case 0x53: // STRING
        this.push(this.stringLine());
        break;
      case 0x56: // UNICODE
        this.push(this.unicodeLine());
        break;
      case 0x64: {
        // DICT
        const items = this.popMarkItems();
        if (items.length % 2 !== 0) this.malformed("odd number of items for DICT");
        const d = new SymbolicDict();
        this.addEntries(d, items);
        this.push(d);
        break;
      }
      case 0x67: {
        // GET
        this.memoGet(this.decimalLine("GET"));
        break;
      }
      case 0x6c: // LIST
        this.popMarkDiscard();
        this.push(LIST);
        break;
      case 0x70: {
        // PUT
        const idx = this.decimalLine("PUT");
        if (idx < 0) this.malformed("negative PUT argument");
        this.memo.put(idx, this.top(), this.opStart);
        break;
      }
      case 0x8b: {
        // LONG4 (signed length)
        const n = this.i32();
        if (n < 0) this.malformed("LONG pickle has negative byte count");
        this.push(this.long(n));
        break;
      }
      case 0x8f: // EMPTY_SET
        this.push(SET);
        break;
      case 0x90: // ADDITEMS
        this.popMarkDiscard();
        this.top();
        break;
      case 0x91: // FROZENSET
        this.popMarkDiscard();
        this.push(FROZENSET);
        break;
      case 0x96: // BYTEARRAY8
        this.push(this.constant(this.u64(), "bytearray"));
        break;
      case 0x97: // NEXT_BUFFER
        this.push(BUFFER);
        break;
      case 0x98: // READONLY_BUFFER
        this.top();
        break;
      default:
        this.malformed(`invalid load key 0x${op.toString(16).padStart(2, "0")}`);
    }
  }

  /** Walks a complete pickle at the current position (joblib object arrays) and merges it. */
  private walkInline(): void {
    if (this.cfg.sniff) throw new Halt("eof", "inline pickle in sniff mode", this.opStart);
    const inner = this.walkNested(this.cfg, this.pos);
    const r = this.result;
    r.imports.push(...inner.imports);
    r.calls.push(...inner.calls);
    r.persistentIds.push(...inner.persistentIds);
    r.findings.push(...inner.findings);
    r.nested.push(...inner.nested);
    r.opcodes += inner.opcodes;
    r.omitted += inner.omitted;
    if (inner.getattrs !== undefined) r.getattrs = [...(r.getattrs ?? []), ...inner.getattrs];
    if (inner.newOnly !== undefined) r.newOnly = [...(r.newOnly ?? []), ...inner.newOnly];
    if (inner.protocol > r.protocol) r.protocol = inner.protocol;
    this.pos = inner.end;
    if (!inner.complete) throw new Halt("stopped", "", this.opStart);
  }
}
