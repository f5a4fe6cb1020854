"use client";
import { useEffect, useId, useRef, useState } from "react";
import { authClient } from "@/lib/auth-client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import type { ShellUser } from "./types";

function initials(name: string) {
  const parts = name.trim().split(/\s+/);
  return ((parts[0]?.[0] ?? "") + (parts.length > 1 ? (parts.at(-1)?.[0] ?? "") : "")).toUpperCase() || "?";
}

/** Account disclosure: who is signed in, and sign out. Closes on Escape and outside clicks. */
export function UserMenu({ user }: { user: ShellUser }) {
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    const onClick = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("mousedown", onClick);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onClick);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  async function signOut() {
    setPending(true);
    await authClient.signOut();
    // A full load drops every cached query of the previous user.
    window.location.assign("/sign-in");
  }

  return (
    <div ref={root} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-full p-0.5 text-sm text-foreground hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring sm:rounded-md sm:px-2 sm:py-1"
      >
        <span
          aria-hidden="true"
          className="grid size-7 place-items-center rounded-full bg-primary text-xs font-semibold text-primary-foreground"
        >
          {initials(user.name)}
        </span>
        <span className="sr-only sm:not-sr-only sm:max-w-[10rem] sm:truncate">{user.name}</span>
        <span className="sr-only">account menu</span>
      </button>
      <div
        id={panelId}
        hidden={!open}
        className="absolute right-0 z-40 mt-2 w-64 rounded-lg border border-border bg-card p-3 shadow-lg"
      >
        <p className="truncate text-sm font-medium text-foreground">{user.name}</p>
        <p className="truncate text-sm text-muted-foreground">{user.email}</p>
        {user.isOperator ? (
          <Badge tone="info" className="mt-2">
            Platform operator
          </Badge>
        ) : null}
        <Button variant="secondary" className="mt-3 w-full" onClick={signOut} pending={pending}>
          Sign out
        </Button>
      </div>
    </div>
  );
}
