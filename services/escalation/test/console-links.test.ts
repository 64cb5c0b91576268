import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the console's modules are plain JavaScript for the browser, without types
import { httpLink } from '../console/format.js';

const link = httpLink as (url: unknown) => string | undefined;

describe("the console's links from alerts", () => {
  it.each([
    ['https://prometheus.example.com/graph?g0.expr=up', 'https://prometheus.example.com/graph?g0.expr=up'],
    ['HTTP://grafana/d/1', 'HTTP://grafana/d/1'],
    ['javascript:alert(document.cookie)', undefined],
    [' javascript:alert(1)', undefined],
    ['data:text/html,<script>alert(1)</script>', undefined],
    ['//evil.example.com', undefined],
    [undefined, undefined],
  ])('%s → %s', (url, href) => expect(link(url)).toBe(href));
});
