import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';

describe('memory store: the Store contract', () => {
  storeContract(async () => ({ store: new MemoryStore(), close: async () => undefined }));
});
