import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { SignedOut } from './api.js';

export const html = htm.bind(h);

/**
 * Loads now and again every `everyMs` while the page is open: how the console stays live without a reload.
 * A failed refresh keeps what was shown and says so.
 */
export function usePolling(load, everyMs, deps = []) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const latest = useRef(0);
  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const data = await load();
      if (ticket === latest.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (error instanceof SignedOut) return;
      if (ticket === latest.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    setState((s) => ({ ...s, loading: true }));
    refresh();
    const timer = setInterval(refresh, everyMs);
    return () => clearInterval(timer);
  }, [refresh, everyMs]);
  return { ...state, refresh };
}

/** Re-renders every second, for countdowns. */
export function useNow(everyMs = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export const ErrorNote = ({ error }) =>
  error ? html`<p class="error" role="alert">${error.message ?? String(error)}</p>` : null;

export const Badge = ({ kind, children }) => html`<span class=${`badge badge-${kind}`}>${children}</span>`;
