// The size tree's state, as pure functions (no DOM): what is loaded, what is expanded,
// which rows are visible under a filter, and what a key press does. size_tree.js renders
// it; js/tests/tree.test.mjs tests it under plain node.
//
// Node records are what the kernel ships: {id, name, type, size, flat, has_children}.
// The kernel answers {type: "expand", id, offset} with
// {type: "children", id, offset, nodes, total} or {type: "error", id, message}.

import { shareOf } from "./format.js";

/** A fresh state for the given root nodes. `total` is what root shares are relative to. */
export function createState(roots, total) {
  const state = {
    nodes: new Map(), // id -> node record
    parent: new Map(), // id -> parent id (roots: null)
    roots: [],
    total: 0,
    kids: new Map(), // id -> {ids: [], total: number|null, loading: bool, error: string|null}
    expanded: new Set(),
  };
  setRoots(state, roots, total);
  return state;
}

/** Replace the roots (forgets everything loaded below them). */
export function setRoots(state, roots, total) {
  state.nodes.clear();
  state.parent.clear();
  state.kids.clear();
  state.expanded.clear();
  state.roots = [];
  let sum = 0;
  for (const node of roots || []) {
    if (!isNode(node) || state.nodes.has(node.id)) continue;
    state.nodes.set(node.id, node);
    state.parent.set(node.id, null);
    state.roots.push(node.id);
    sum += node.size > 0 ? node.size : 0;
  }
  state.total = typeof total === "number" && total > 0 ? total : sum;
  return state;
}

function isNode(node) {
  return node !== null && typeof node === "object" && typeof node.id === "string";
}

/** Can this node be expanded at all? */
export function expandable(state, id) {
  const node = state.nodes.get(id);
  if (!node || !node.has_children) return false;
  const entry = state.kids.get(id);
  return !(entry && entry.total === 0 && !entry.loading && !entry.error);
}

/**
 * Expand `id`. Returns the request to send to the kernel ({type, id, offset}) when its
 * children are not loaded yet, else null.
 */
export function expand(state, id) {
  if (!expandable(state, id)) return null;
  state.expanded.add(id);
  const entry = state.kids.get(id);
  if (entry && (entry.loading || entry.total !== null)) return null;
  state.kids.set(id, { ids: [], total: null, loading: true, error: null });
  return { type: "expand", id, offset: 0 };
}

/** Collapse `id` (its loaded children are kept). */
export function collapse(state, id) {
  state.expanded.delete(id);
}

/** Toggle; returns the request to send, if any. */
export function toggle(state, id) {
  if (state.expanded.has(id)) {
    collapse(state, id);
    return null;
  }
  return expand(state, id);
}

/** The request for the next page of `id`'s children, or null if there is none / one is pending. */
export function requestMore(state, id) {
  const entry = state.kids.get(id);
  if (!entry || entry.loading || entry.total === null || entry.ids.length >= entry.total) return null;
  entry.loading = true;
  entry.error = null;
  return { type: "expand", id, offset: entry.ids.length };
}

/**
 * Apply a message from the kernel. Returns true if the state changed. Replies for
 * unknown ids or with an offset that does not continue what is loaded are ignored.
 */
export function receive(state, msg) {
  if (!msg || typeof msg !== "object" || typeof msg.id !== "string") return false;
  const entry = state.kids.get(msg.id);
  if (!entry) return false;
  if (msg.type === "error") {
    entry.loading = false;
    entry.error = String(msg.message || "error");
    return true;
  }
  if (msg.type !== "children" || !Array.isArray(msg.nodes)) return false;
  if (msg.offset !== entry.ids.length) return false; // stale or duplicate reply
  for (const node of msg.nodes) {
    if (!isNode(node) || state.nodes.has(node.id)) continue;
    state.nodes.set(node.id, node);
    state.parent.set(node.id, msg.id);
    entry.ids.push(node.id);
  }
  entry.total = typeof msg.total === "number" ? Math.max(msg.total, entry.ids.length) : entry.ids.length;
  entry.loading = false;
  entry.error = null;
  return true;
}

/** Case-insensitive match of a node's name or type against the filter text. */
export function matches(node, needle) {
  if (!needle) return true;
  return (
    String(node.name).toLowerCase().includes(needle) ||
    String(node.type).toLowerCase().includes(needle)
  );
}

/**
 * The rows to draw, top to bottom.
 *
 * Node rows: {kind: "node", key, id, node, level, share, expandable, expanded, posinset, setsize}.
 * Others: {kind: "more" | "loading" | "error", key, parentId, level, remaining?, message?}.
 * With a filter, every loaded node that matches is shown with its ancestors (collapsed or
 * not), and the "more"/"loading" rows are left out.
 */
export function visibleRows(state, filter = "") {
  const needle = String(filter || "").trim().toLowerCase();
  const keep = needle ? matchingSet(state, needle) : null;
  const rows = [];
  // iterative pre-order walk; stack items: [ids, index, level, parentSize, parentId]
  const stack = [[state.roots, 0, 1, state.total, null]];
  while (stack.length) {
    const frame = stack[stack.length - 1];
    const [ids, , level, parentSize, parentId] = frame;
    if (frame[1] >= ids.length) {
      stack.pop();
      if (!keep && parentId !== null) tailRows(state, parentId, level, rows);
      continue;
    }
    const pos = frame[1]++;
    const id = ids[pos];
    if (keep && !keep.has(id)) continue;
    const node = state.nodes.get(id);
    const isOpen = state.expanded.has(id);
    rows.push({
      kind: "node",
      key: id,
      id,
      node,
      level,
      share: shareOf(node.size, parentSize),
      expandable: expandable(state, id),
      expanded: isOpen && expandable(state, id),
      posinset: pos + 1,
      setsize: ids.length,
    });
    const entry = state.kids.get(id);
    if (entry && (keep || isOpen)) {
      stack.push([entry.ids, 0, level + 1, node.size, id]);
    }
  }
  return rows;
}

function tailRows(state, parentId, level, rows) {
  const entry = state.kids.get(parentId);
  if (!entry) return;
  if (entry.loading) {
    rows.push({ kind: "loading", key: `loading:${parentId}`, parentId, level });
  } else if (entry.error) {
    rows.push({ kind: "error", key: `error:${parentId}`, parentId, level, message: entry.error });
  } else if (entry.total !== null && entry.ids.length < entry.total) {
    rows.push({
      kind: "more",
      key: `more:${parentId}`,
      parentId,
      level,
      remaining: entry.total - entry.ids.length,
    });
  }
}

function matchingSet(state, needle) {
  const keep = new Set();
  for (const [id, node] of state.nodes) {
    if (!matches(node, needle)) continue;
    for (let cur = id; cur !== null && cur !== undefined && !keep.has(cur); cur = state.parent.get(cur)) {
      keep.add(cur);
    }
  }
  return keep;
}

/**
 * What a key does on the focused row (WAI-ARIA tree pattern).
 * Returns {focus?: rowIndex, expand?: id, collapse?: id, more?: parentId, handled: bool}.
 */
export function keyAction(state, rows, index, key) {
  const row = rows[index];
  const last = rows.length - 1;
  if (!row) return { handled: false };
  switch (key) {
    case "ArrowDown":
      return { handled: true, focus: Math.min(last, index + 1) };
    case "ArrowUp":
      return { handled: true, focus: Math.max(0, index - 1) };
    case "Home":
      return { handled: true, focus: 0 };
    case "End":
      return { handled: true, focus: last };
    case "ArrowRight":
      if (row.kind !== "node" || !row.expandable) return { handled: true };
      if (!row.expanded) return { handled: true, expand: row.id };
      if (index < last && rows[index + 1].level === row.level + 1) return { handled: true, focus: index + 1 };
      return { handled: true };
    case "ArrowLeft": {
      if (row.kind === "node" && row.expanded) return { handled: true, collapse: row.id };
      for (let i = index - 1; i >= 0; i--) {
        if (rows[i].kind === "node" && rows[i].level < row.level) return { handled: true, focus: i };
      }
      return { handled: true };
    }
    case "Enter":
    case " ":
      if (row.kind === "more") return { handled: true, more: row.parentId };
      if (row.kind === "node" && row.expandable) {
        return row.expanded ? { handled: true, collapse: row.id } : { handled: true, expand: row.id };
      }
      return { handled: true };
    default:
      return { handled: false };
  }
}
