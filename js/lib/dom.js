// The DOM helpers every widget's front end uses: `h` builds an element, `listen`
// subscribes to model events and gives back the function that unsubscribes them all.

/** `h("td", {className, text, title, ...}, ...children)`: null, undefined and false
 * attributes are left out; true sets an empty (boolean) attribute. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Subscribe each `[event, handler]` pair on the anywidget model; returns the
 * function that takes every one of them off again (for render's clean-up). */
export function listen(model, pairs) {
  for (const [event, handler] of pairs) model.on(event, handler);
  return () => {
    for (const [event, handler] of pairs) model.off(event, handler);
  };
}
