import type { AnchorHTMLAttributes, MouseEvent } from "react";

import { navigate } from "./router";

/** An `<a>` that moves within the workspace without reloading the page (a click with a
 * modifier key, or another button, still does what the browser does with links). */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function follow(event: MouseEvent<HTMLAnchorElement>): void {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  }
  return <a href={href} onClick={follow} {...rest} />;
}
