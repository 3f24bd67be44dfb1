import { useId, type ReactNode } from "react";

/** A modal dialog over the workspace, titled; a click beside it closes it (`onClose`). */
export function Dialog({
  title,
  className,
  onClose,
  children,
}: {
  title: string;
  className?: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const titleId = useId();
  return (
    <div
      className="overlay"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div role="dialog" aria-modal="true" aria-labelledby={titleId} className={`dialog ${className ?? ""}`}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
