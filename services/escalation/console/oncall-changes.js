import { useEffect, useState } from 'preact/hooks';
import { json } from './api.js';
import { when } from './format.js';
import { ErrorNote, html, usePolling } from './ui.js';

const DAY_MS = 86_400_000;

/** Who the caller is, once: which buttons they get (a viewer none; a responder their own; an admin all). */
function useMe() {
  const [me, setMe] = useState(undefined);
  useEffect(() => {
    json('/api/v1/me')
      .then(setMe)
      .catch(() => setMe(undefined));
  }, []);
  return me;
}

const byWhom = (shift) =>
  shift.actor ? `changed by ${shift.actor.name}${shift.reason ? `: ${shift.reason}` : ''}` : 'rotation';

/** One shift on the timeline: a bar as long as its share of the days shown, who, when, who changed it. */
function ShiftItem({ shift, from, to, zone, me, people, act }) {
  const [giveTo, setGiveTo] = useState('');
  const span = Date.parse(to) - Date.parse(from);
  const width = Math.max(2, (100 * (Date.parse(shift.to) - Date.parse(shift.from))) / span);
  const mayChange = me && me.kind === 'person' && me.role !== 'viewer';
  const mine = mayChange && shift.contact === me.name;
  const mayRemove =
    shift.overrideId && me && (me.role === 'admin' || (mayChange && shift.actor && shift.actor.name === me.name));
  // A shift under way is covered or given from now on.
  const start = new Date(Math.max(Date.now(), Date.parse(shift.from))).toISOString();
  return html`<li class=${shift.override ? 'override' : ''}>
    <div class="bar" style=${`width: ${width}%`} aria-hidden="true"></div>
    <p>
      <strong>${shift.contact}</strong>${shift.replaces ? ` for ${shift.replaces}` : ''} ·
      ${`${when(shift.from, zone)} → ${when(shift.to, zone)}`}
    </p>
    <p class="hint">${byWhom(shift)}</p>
    <div class="buttons">
      ${
        mayChange &&
        !mine &&
        html`<button
          type="button"
          onClick=${() =>
            act(`Cover ${shift.contact}'s shift`, 'overrides', {
              start,
              end: shift.to,
              person: me.name,
              replaces: shift.contact,
            })}
        >
          Cover this shift
        </button>`
      }
      ${
        mine &&
        html`<label
            >Give my shift to…
            <select value=${giveTo} onChange=${(e) => setGiveTo(e.target.value)}>
              <option value="">choose</option>
              ${people.filter((p) => p !== me.name).map((p) => html`<option value=${p}>${p}</option>`)}
            </select></label
          >
          <button
            type="button"
            disabled=${!giveTo}
            onClick=${() =>
              act(`Give the shift to ${giveTo}`, 'overrides', {
                start,
                end: shift.to,
                person: giveTo,
                replaces: me.name,
              })}
          >
            Give
          </button>`
      }
      ${
        mayRemove &&
        html`<button type="button" onClick=${() => act('Remove the override', `overrides/${shift.overrideId}`)}>
          Remove
        </button>`
      }
    </div>
  </li>`;
}

/**
 * A schedule's coming days as a timeline, with who made each change, and the changes a person may make:
 * take the pager, cover a shift, give their own away, remove an override. The API decides who may; the
 * buttons only leave out what it would refuse.
 */
export function ScheduleChanges({ schedule, zone, people, onChanged }) {
  const me = useMe();
  const [until, setUntil] = useState('2h');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(undefined);
  const [failure, setFailure] = useState(undefined);
  const { data, error, refresh } = usePolling(
    () =>
      json(`/api/v1/schedules/${encodeURIComponent(schedule)}?to=${new Date(Date.now() + 7 * DAY_MS).toISOString()}`),
    60_000,
    [schedule],
  );
  const act = async (what, path, body) => {
    setBusy(true);
    setFailure(undefined);
    setNote(undefined);
    try {
      const url = `/api/v1/schedules/${encodeURIComponent(schedule)}/${path}`;
      await json(url, body === undefined ? { method: 'DELETE' } : { method: 'POST', body });
      setNote(`${what}: done.`);
      refresh();
      onChanged?.();
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  const mayTake = Boolean(me && me.kind === 'person' && me.role !== 'viewer');
  return html`<div class="changes">
    ${
      mayTake &&
      html`<form
        class="take"
        onSubmit=${(e) => {
          e.preventDefault();
          act('Take the pager', 'take', { until });
        }}
      >
        <label
          >Take the pager until…
          <input
            value=${until}
            onInput=${(e) => setUntil(e.target.value)}
            placeholder="2h, 08:00 or an instant"
            required
        /></label>
        <button type="submit" class="primary" disabled=${busy}>Take the pager</button>
      </form>`
    }
    ${note && html`<p class="hint" role="status">${note}</p>`}
    <${ErrorNote} error=${failure ?? error} />
    ${
      data &&
      html`<h3>Coming days</h3>
        <ol class="shift-timeline" aria-label=${`Shifts of ${schedule}`}>
          ${data.shifts.map(
            (shift) =>
              html`<${ShiftItem}
                shift=${shift}
                from=${data.from}
                to=${data.to}
                zone=${zone}
                me=${me}
                people=${people}
                act=${busy ? () => undefined : act}
              />`,
          )}
        </ol>`
    }
  </div>`;
}
