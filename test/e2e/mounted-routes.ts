interface Layer {
  route?: { path: string | RegExp | Array<string | RegExp>; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route an express app answers, as `METHOD path` (a RegExp route by its source), read from the app's
 * own router: a route added without a row in a test's table is then noticed.
 */
export function mountedRoutes(app: object): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all'))
          for (const path of paths) found.push(`${method.toUpperCase()} ${String(path)}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}
