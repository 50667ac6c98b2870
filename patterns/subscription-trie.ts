// Byte-prefix tries for PUB/SUB filtering.
// SubscriptionTrie (libzmq trie_t): counted topics on the subscriber side, so two
// subscribes need two unsubscribes. MultiTrie (libzmq mtrie_t): on the publisher
// side, each topic holds the set of pipes subscribed to it.
import type { PipeEnd } from "../lib/pipe.js";

interface Node<V> {
  children: Map<number, Node<V>> | undefined;
  value: V | undefined;
}

function newNode<V>(): Node<V> {
  return { children: undefined, value: undefined };
}

abstract class ByteTrie<V> {
  protected root: Node<V> = newNode<V>();

  protected find(topic: Buffer, create: boolean): Node<V> | undefined {
    let n = this.root;
    for (let i = 0; i < topic.length; i++) {
      const b = topic[i]!;
      let c = n.children?.get(b);
      if (c === undefined) {
        if (!create) return undefined;
        c = newNode<V>();
        (n.children ??= new Map()).set(b, c);
      }
      n = c;
    }
    return n;
  }

  /** Remove empty nodes along topic's path. */
  protected prune(topic: Buffer): void {
    const path: Node<V>[] = [this.root];
    let n = this.root;
    for (let i = 0; i < topic.length; i++) {
      const c = n.children?.get(topic[i]!);
      if (c === undefined) return;
      path.push(c);
      n = c;
    }
    for (let i = topic.length; i > 0; i--) {
      const node = path[i]!;
      if (node.value !== undefined || (node.children !== undefined && node.children.size > 0)) return;
      const parent = path[i - 1]!;
      parent.children!.delete(topic[i - 1]!);
    }
  }

  /** Call fn with each node's value on the path of `data` (every subscribed prefix). */
  protected walk(data: Buffer, fn: (v: V) => void): void {
    let n: Node<V> | undefined = this.root;
    let i = 0;
    while (n !== undefined) {
      if (n.value !== undefined) fn(n.value);
      if (i >= data.length || n.children === undefined) return;
      n = n.children.get(data[i++]!);
    }
  }

  /** Every stored topic with its value. */
  protected each(fn: (topic: Buffer, v: V) => void): void {
    const stack: Array<[Node<V>, number[]]> = [[this.root, []]];
    while (stack.length > 0) {
      const [n, path] = stack.pop()!;
      if (n.value !== undefined) fn(Buffer.from(path), n.value);
      if (n.children) for (const [b, c] of n.children) stack.push([c, [...path, b]]);
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
    let n: Node<number> | undefined = this.root;
    let i = 0;
    while (n !== undefined) {
      if (n.value !== undefined) return true;
      if (i >= data.length || n.children === undefined) return false;
      n = n.children.get(data[i++]!);
    }
    return false;
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

  /** Returns true when no pipe had this topic before. A pipe subscribing
   * twice to one topic counts once (libzmq mtrie). */
  add(topic: Buffer, pipe: PipeEnd): boolean {
    const n = this.find(topic, true)!;
    const first = n.value === undefined || n.value.size === 0;
    (n.value ??= new Set()).add(pipe);
    let m = this.byPipe.get(pipe);
    if (m === undefined) this.byPipe.set(pipe, (m = new Map()));
    m.set(topic.toString("latin1"), topic);
    return first;
  }

  rm(topic: Buffer, pipe: PipeEnd): RmResult {
    const n = this.find(topic, false);
    if (n === undefined || n.value === undefined || !n.value.delete(pipe)) return "notFound";
    this.byPipe.get(pipe)?.delete(topic.toString("latin1"));
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
