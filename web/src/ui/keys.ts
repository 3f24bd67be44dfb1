/** Whether pressing `key` on `target` belongs to it (typing in a field; Enter or Space on
 * a link or button) rather than to the page's keyboard shortcuts. */
export function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return true;
  return (key === "Enter" || key === " ") && ["A", "BUTTON"].includes(target.tagName);
}

/** Whether a key press is a page shortcut: no Ctrl, Alt or Meta, not owned by its target. */
export function isShortcut(event: KeyboardEvent): boolean {
  return !event.altKey && !event.ctrlKey && !event.metaKey && !event.defaultPrevented && !ownsKey(event.target, event.key);
}
