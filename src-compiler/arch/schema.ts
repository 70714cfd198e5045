// JSON schema of architecture files. The same object validates files in the loader and is written to
// dist/arch.schema.json for the editor's JSON validation (see scripts/build.mjs).

const positiveInt = { type: 'integer', minimum: 1 } as const;

/** A DPU configuration; also checks the configurations read from Vitis AI target files. */
export const DPU_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'A DPU configuration: a PG338 name, or an object overriding a base configuration or a Vitis AI target.',
  properties: {
    base: { type: 'string', description: 'PG338 configuration to start from (B512 ... B4096).' },
    target: { type: 'string', description: 'Vitis AI target description (.prototxt), relative to this file.' },
    name: { type: 'string' },
    pp: { ...positiveInt, maximum: 8, description: 'Pixel parallelism.' },
    icp: { ...positiveInt, maximum: 64, description: 'Input channel parallelism (bank width in bytes).' },
    ocp: { ...positiveInt, maximum: 64, description: 'Output channel parallelism (CONVW banks).' },
    bankDepth: { ...positiveInt, maximum: 4096, description: 'Addresses per bank (12-bit address fields).' },
    imageBankGroups: { type: 'integer', minimum: 2, maximum: 3, description: 'VB0, VB1 (and VB2 with high RAM usage).' },
    poolPP: { ...positiveInt, maximum: 8 },
    dwPP: { ...positiveInt, maximum: 8 },
    elewPP: { ...positiveInt, maximum: 8 },
    miscCP: { ...positiveInt, maximum: 64 },
    convKernel: { type: 'array', items: positiveInt, minItems: 2, maxItems: 2 },
    convStride: { type: 'array', items: positiveInt, minItems: 2, maxItems: 2 },
    nonlinear: { type: 'array', items: { enum: ['relu', 'leaky_relu', 'relu6'] } },
    channelAugmentation: positiveInt,
    convPipelineCycles: { type: 'integer', minimum: 0 },
    miscPipelineCycles: { type: 'integer', minimum: 0 },
    initCycles: { type: 'integer', minimum: 0, description: 'Cycles an INIT instruction occupies its engine (timing model).' },
  },
} as const;

export const ARCH_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'DNNVM architecture',
  description: 'A DPU configuration on a board: cores, clock and DDR. Fields left out come from "base".',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    base: { type: 'string', description: 'Board preset to start from (ZU2, ZU9, ZCU102, ZCU104).' },
    dpu: { anyOf: [{ type: 'string' }, DPU_SCHEMA] },
    cores: { ...positiveInt, maximum: 4, description: 'DPU cores on the device (up to 4).' },
    frequencyMHz: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    ddr: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string' },
        busWidthBits: { enum: [16, 32, 64, 72, 128] },
        megaTransfersPerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
        efficiency: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        latencyNs: { type: 'number', minimum: 0 },
      },
    },
    axi: {
      type: 'object',
      additionalProperties: false,
      properties: { dataPorts: positiveInt, portBytes: positiveInt },
    },
    sources: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;
