// The assembler's directives: their names, syntax and docs, for the assembler's messages, the TextMate
// grammar, completion and hover (one list, so that none of them knows a directive the others do not).

export interface DirectiveSpec {
  readonly name: string;
  readonly syntax: string;
  /** A completion snippet. */
  readonly snippet: string;
  readonly doc: string;
  /** Keys it accepts (key=value arguments). */
  readonly keys: readonly string[];
}

/** Most images one run may compute: `.batch`'s range and `dnnvm compile --batch`'s. */
export const MAX_BATCH = 64;

export const DIRECTIVES: readonly DirectiveSpec[] = [
  { name: 'arch', syntax: '.arch NAME | .arch "file.json"', snippet: '.arch ${1:ZU9}', doc: 'The target architecture: a board preset, a DPU configuration, or an architecture file in the program\'s folder.', keys: [] },
  {
    name: 'ddr',
    syntax: '.ddr NAME reg=R size=S [offset=O] [file="data.bin"]',
    snippet: '.ddr ${1:name} reg=${2:0} size=${3:1024}',
    doc: 'A DDR region: size bytes at byte offset of base register R, optionally initialised from a file; its name stands for the register in reg_id and for the offset in ddr_addr.',
    keys: ['reg', 'size', 'offset', 'file'],
  },
  { name: 'layer', syntax: '.layer NAME [nodes=a,b] [group=G]', snippet: '.layer ${1:name} nodes=${2:node} group=${3:group}', doc: 'A layer marker: the instructions that follow implement these XGraph nodes, fused in group G.', keys: ['nodes', 'group'] },
  {
    name: 'batch',
    syntax: '.batch N',
    snippet: '.batch ${1:8}',
    doc: 'Images each run of the program computes (`dnnvm compile --batch N`): the timing figures count N images per run (images/s, time per image). Default 1.',
    keys: [],
  },
  { name: 'equ', syntax: '.equ NAME value', snippet: '.equ ${1:NAME} ${2:0}', doc: 'A named constant.', keys: [] },
  { name: 'segment', syntax: '.segment NAME', snippet: '.segment ${1:name}', doc: 'Starts a new instruction stream (ending in END): the host runs its own layers between segments.', keys: [] },
];

export function directiveSpec(name: string): DirectiveSpec | undefined {
  return DIRECTIVES.find((d) => d.name === name);
}

export const DIRECTIVE_LIST = DIRECTIVES.map((d) => `.${d.name}`).join(', ');
