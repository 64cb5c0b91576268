import type { Logger } from './logger.ts';

export interface SighupReload {
  /** The service is up: SIGHUP reloads by `reload` from now on, and one that came during start-up does now. */
  ready(reload: () => void): void;
}

/**
 * SIGHUP reads the configuration file again, as Alertmanager's does. Node's default for SIGHUP is to exit,
 * so this goes in first, before the configuration is loaded, stores opened and ports listened on: a SIGHUP
 * during start-up is logged and applied once the service is up (it then reads the file as it is by then).
 */
export function reloadOnSighup(logger: Logger): SighupReload {
  let reload: (() => void) | undefined;
  let pending = false;
  process.on('SIGHUP', () => {
    if (reload) return reload();
    if (!pending) logger.info('SIGHUP during start-up: the configuration is read again once the service is up');
    pending = true;
  });
  return {
    ready(next) {
      reload = next;
      if (!pending) return;
      pending = false;
      next();
    },
  };
}
