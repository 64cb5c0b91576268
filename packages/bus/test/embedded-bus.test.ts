import { tempDir } from '@klaxon/testing';
import { openEmbeddedBus } from '../src/index.ts';
import { busContract } from './contract/bus-contract.ts';

busContract('embedded durable log', async () => {
  const dir = tempDir('klaxon-bus-');
  const open = () => openEmbeddedBus(dir.file('bus.db'), { pollMs: 20, retryDelayMs: 20 });
  let bus = open();
  return {
    bus,
    async reopen() {
      await bus.close();
      bus = open();
      return bus;
    },
    async dispose() {
      await bus.close().catch(() => undefined);
      dir.remove();
    },
  };
});
