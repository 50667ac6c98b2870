// Byte-prefix tries for PUB/SUB filtering.
// SubscriptionTrie (libzmq trie_t): counted topics on the subscriber side, so two
// subscribes need two unsubscribes. MultiTrie (libzmq mtrie_t): on the publisher
// side, each topic holds the set of pipes subscribed to it.
import type { PipeEnd } from "../lib/core/pipe.js";

// A radix tree: each node's edge carries a run of bytes, so memory grows with
// the bytes subscribed, not with a node (and a Map) per byte.
interface Node<V> {
  /** The bytes on the edge from the parent (empty for the root). Owned copy. */
  label: Buffer;
  /** Children by the first byte of their label. */
  children: Map<number, Node<V>> | undefined;
  value: V | undefined;
}

const EMPTY = Buffer.alloc(0);

function newNode<V>(label: Buffer): Node<V> {
  return { label, children: undefined, value: undefined };
}

/** Length of the common prefix of label and data[from..]. */
function common(label: Buffer, data: Buffer, from: number): number {
  const n = Math.min(label.length, data.length - from);
  let k = 0;
  while (k < n && label[k] === data[from + k]) k++;
  return k;
}

abstract class ByteTrie<V> {
  protected root: Node<V> = newNode<V>(EMPTY);

  /** The node for exactly `topic`; with create, made (splitting an edge) if absent. */
  protected find(topic: Buffer, create: boolean): Node<V> | undefined {
    let n = this.root;
    let i = 0;
    while (i < topic.length) {
      const c = n.children?.get(topic[i]!);
      if (c === undefined) {
        if (!create) return undefined;
        // copy: topics may be views of a large socket read buffer
        const leaf = newNode<V>(Buffer.from(topic.subarray(i)));
        (n.children ??= new Map()).set(topic[i]!, leaf);
        return leaf;
      }
      const k = common(c.label, topic, i);
      if (k === c.label.length) {
        n = c;
        i += k;
        continue;
      }
      if (!create) return undefined;
      // split the edge at k: parent -> mid -> c
      const mid = newNode<V>(c.label.subarray(0, k));
      c.label = c.label.subarray(k);
      mid.children = new Map([[c.label[0]!, c]]);
      n.children!.set(topic[i]!, mid);
      n = mid;
      i += k;
    }
    return n;
  }

  /** After a value was removed at topic: drop empty nodes, merge single-child ones. */
  protected prune(topic: Buffer): void {
    const path: Node<V>[] = [this.root];
    let n = this.root;
    let i = 0;
    while (i < topic.length) {
      const c = n.children?.get(topic[i]!);
      if (c === undefined || common(c.label, topic, i) !== c.label.length) return;
      path.push(c);
      i += c.label.length;
      n = c;
    }
    for (let d = path.length - 1; d > 0; d--) {
      const node = path[d]!;
      const parent = path[d - 1]!;
      if (node.value !== undefined) break;
      const kids = node.children?.size ?? 0;
      if (kids === 0) {
        parent.children!.delete(node.label[0]!);
        continue;
      }
      if (kids === 1) {
        // merge the node with its only child
        const child = node.children!.values().next().value as Node<V>;
        child.label = Buffer.concat([node.label, child.label]);
        parent.children!.set(child.label[0]!, child);
      }
      break;
    }
  }

  /** Call fn with each node's value on the path of `data` (every subscribed prefix). */
  protected walk(data: Buffer, fn: (v: V) => void): void {
    let n = this.root;
    let i = 0;
    for (;;) {
      if (n.value !== undefined) fn(n.value);
      if (i >= data.length || n.children === undefined) return;
      const c = n.children.get(data[i]!);
      if (c === undefined || common(c.label, data, i) !== c.label.length) return;
      i += c.label.length;
      n = c;
    }
  }

  /** Is any prefix of data stored? */
  protected any(data: Buffer): boolean {
    let n = this.root;
    let i = 0;
    for (;;) {
      if (n.value !== undefined) return true;
      if (i >= data.length || n.children === undefined) return false;
      const c = n.children.get(data[i]!);
      if (c === undefined || common(c.label, data, i) !== c.label.length) return false;
      i += c.label.length;
      n = c;
    }
  }

  /** Every stored topic with its value. */
  protected each(fn: (topic: Buffer, v: V) => void): void {
    const stack: Array<[Node<V>, Buffer]> = [[this.root, EMPTY]];
    while (stack.length > 0) {
      const [n, path] = stack.pop()!;
      const here = path.length === 0 ? n.label : Buffer.concat([path, n.label]);
      if (n.value !== undefined) fn(Buffer.from(here), n.value);
      if (n.children) for (const c of n.children.values()) stack.push([c, here]);
    }
  }
}

export class SubscriptionTrie extends ByteTrie<number> {
  /** Returns true when the topic is new (count went 0 → 1). */
  add(topic: Buffer): boolean {
    const n = this.find(topic, true)!;
    n.value = (n.value ?? 0) + 1;
    return n.value === 1;
  }

  /** Returns true when the topic is gone (count reached 0); false if it was
   * not there or is still subscribed. */
  rm(topic: Buffer): boolean {
    const n = this.find(topic, false);
    if (n === undefined || n.value === undefined) return false;
    n.value--;
    if (n.value > 0) return false;
    n.value = undefined;
    this.prune(topic);
    return true;
  }

  /** Is any prefix of data subscribed? */
  match(data: Buffer): boolean {
    return this.any(data);
  }

  /** Every subscribed topic (once each, whatever its count). */
  topics(): Buffer[] {
    const out: Buffer[] = [];
    this.each((t) => out.push(t));
    return out;
  }
}

export type RmResult = "notFound" | "lastRemoved" | "valuesRemain";

export class MultiTrie extends ByteTrie<Set<PipeEnd>> {
  /** Topics per pipe (latin1 keys), so a pipe's subscriptions go with it. */
  private byPipe = new Map<PipeEnd, Map<string, Buffer>>();
  private bytesByPipe = new Map<PipeEnd, number>();

  /** How many topics, and how many topic bytes, a pipe holds. */
  held(pipe: PipeEnd): { count: number; bytes: number } {
    return { count: this.byPipe.get(pipe)?.size ?? 0, bytes: this.bytesByPipe.get(pipe) ?? 0 };
  }

  /** Returns true when no pipe had this topic before. A pipe subscribing
   * twice to one topic counts once (libzmq mtrie). */
  add(topic: Buffer, pipe: PipeEnd): boolean {
    const n = this.find(topic, true)!;
    const first = n.value === undefined || n.value.size === 0;
    (n.value ??= new Set()).add(pipe);
    let m = this.byPipe.get(pipe);
    if (m === undefined) this.byPipe.set(pipe, (m = new Map()));
    const key = topic.toString("latin1");
    if (!m.has(key)) {
      // a copy: topics may be views of a large socket read buffer
      m.set(key, Buffer.from(topic));
      this.bytesByPipe.set(pipe, (this.bytesByPipe.get(pipe) ?? 0) + topic.length);
    }
    return first;
  }

  rm(topic: Buffer, pipe: PipeEnd): RmResult {
    const n = this.find(topic, false);
    if (n === undefined || n.value === undefined || !n.value.delete(pipe)) return "notFound";
    if (this.byPipe.get(pipe)?.delete(topic.toString("latin1"))) {
      this.bytesByPipe.set(pipe, (this.bytesByPipe.get(pipe) ?? 0) - topic.length);
    }
    if (n.value.size > 0) return "valuesRemain";
    n.value = undefined;
    this.prune(topic);
    return "lastRemoved";
  }

  /** Remove every subscription of pipe; onRemoved(topic) for each topic no
   * pipe wants any more, or with `every` for each topic the pipe had. */
  rmPipe(pipe: PipeEnd, onRemoved?: (topic: Buffer) => void, every = false): void {
    const m = this.byPipe.get(pipe);
    if (m === undefined) return;
    this.byPipe.delete(pipe);
    this.bytesByPipe.delete(pipe);
    for (const topic of m.values()) {
      const n = this.find(topic, false);
      if (n === undefined || n.value === undefined) continue;
      n.value.delete(pipe);
      const last = n.value.size === 0;
      if (last) {
        n.value = undefined;
        this.prune(topic);
      }
      if (last || every) onRemoved?.(topic);
    }
  }

  /** Call fn once for every pipe subscribed to a prefix of data. `epoch`
   * must be fresh for each call: it de-duplicates pipes via pipe.mark. */
  match(data: Buffer, epoch: number, fn: (pipe: PipeEnd) => void): void {
    this.walk(data, (set) => {
      for (const p of set) {
        if (p.mark !== epoch) {
          p.mark = epoch;
          fn(p);
        }
      }
    });
  }
}
