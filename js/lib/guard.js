// A widget's render function that never leaves the output area blank: if rendering
// throws, the error is shown as text in an element of the widget's own class.

export function guarded(render, className, what) {
  return (ctx) => {
    try {
      return render(ctx);
    } catch (error) {
      ctx.el.replaceChildren();
      const box = document.createElement("pre");
      box.className = className;
      box.textContent = `pympler_nb ${what} failed to render: ${error && error.message ? error.message : error}`;
      ctx.el.append(box);
      return undefined;
    }
  };
}
