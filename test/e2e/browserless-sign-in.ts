/**
 * A browser's part in a sign-in, done with fetch: cookies kept per origin, redirects followed by hand, the
 * provider's login and consent forms posted as a person would. What the browser test does with Chromium,
 * in a form the CSRF tests can replay and forge requests from.
 */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  header(url: string): string {
    return [...(this.jars.get(new URL(url).origin) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }

  get(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  absorb(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const cleared = attributes.some(
        (a) => /expires=thu, 01 jan 1970/i.test(a.trim()) || /max-age=0$/i.test(a.trim()),
      );
      if (cleared || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
}

export async function browse(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<{ res: Response; url: string; body: string }> {
  let current = url;
  let method = init.method ?? 'GET';
  let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
  for (let hops = 0; hops < 20; hops++) {
    const res = await fetch(current, {
      method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(current),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    jar.absorb(current, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      current = new URL(location, current).href;
      method = 'GET';
      body = undefined;
      continue;
    }
    return { res, url: current, body: await res.text() };
  }
  throw new Error(`too many redirects from ${url}`);
}

const formAction = (html: string, pageUrl: string): string => {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form on ${pageUrl}: ${html.slice(0, 300)}`);
  return new URL(action.replace(/&amp;/g, '&'), pageUrl).href;
};

/** Signs in at Klaxon through the provider's own pages, as `login`; the last page reached. */
export async function signInThroughProvider(
  jar: CookieJar,
  klaxonUrl: string,
  login: string,
  returnTo = '/',
): Promise<{ res: Response; url: string; body: string }> {
  const loginPage = await browse(jar, `${klaxonUrl}/auth/login?return=${encodeURIComponent(returnTo)}`);
  const consentPage = await browse(jar, formAction(loginPage.body, loginPage.url), {
    method: 'POST',
    form: { prompt: 'login', login, password: 'any password' },
  });
  return browse(jar, formAction(consentPage.body, consentPage.url), {
    method: 'POST',
    form: { prompt: 'consent' },
  });
}
