/** One route a service's express app answers, read from its router stack. */
export interface MountedRoute {
  /** Lower-case HTTP method; `*` for middleware mounted at a path, which answers whatever reaches it. */
  method: string;
  /** As mounted: an express path (`/api/v1/incidents/:id`), a RegExp, or a middleware's mount path. */
  path: string | RegExp;
  /** A middleware mounted at `path`, answering every path under it (static files). */
  prefix: boolean;
  /** express's own matcher for this layer: whether a request path reaches it. */
  matches(requestPath: string): boolean;
}

interface Layer {
  route?: { path: string | string[] | RegExp; methods: Record<string, boolean> };
  name: string;
  handle: { stack?: Layer[] };
  rawPath?: string | string[] | RegExp;
  slash: boolean;
  matchers: ((path: string) => unknown)[];
}

/**
 * Every route the app mounts, from express 5's router stack (router 2.x), nested routers included.
 * Middleware that runs for every path (the request log, the 404 and error answers) is not a route.
 * `app`: an express 5 application, as `createServiceHttp` in packages/service-kit builds it.
 */
export function mountedRoutes(app: unknown): MountedRoute[] {
  const stack = (app as { router: { stack: Layer[] } }).router.stack;
  return walk(stack);
}

function walk(stack: Layer[]): MountedRoute[] {
  const routes: MountedRoute[] = [];
  for (const layer of stack) {
    const matches = (requestPath: string) => layer.matchers.some((m) => m(requestPath) !== false);
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path.flat(Infinity as 1) : [layer.route.path];
      for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m])) {
        for (const path of paths) routes.push({ method, path, prefix: false, matches });
      }
    } else if (layer.name === 'router' && layer.handle.stack) {
      if (!layer.slash)
        throw new Error(`a router mounted at ${String(layer.rawPath)}: nested mount paths are not read here yet`);
      routes.push(...walk(layer.handle.stack));
    } else if (!layer.slash) {
      if (typeof layer.rawPath !== 'string')
        throw new Error(
          `middleware ${layer.name} mounted at ${String(layer.rawPath)}: only string mount paths are read`,
        );
      routes.push({ method: '*', path: layer.rawPath, prefix: true, matches });
    }
  }
  return routes;
}
