// Adapter setups as the public API names them (composition blocks of the adapters library).

export {
  adapterSetupFromDict,
  Average,
  BatchSplit,
  type Block as AdapterBlock,
  Fuse,
  Parallel,
  type Setup as AdapterSetup,
  type SetupDict as AdapterSetupDict,
  Split,
  Stack,
} from "../adapters/composition.ts";
