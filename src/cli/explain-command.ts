/** `natsim explain`: a scenario's checks narrated, drawn or dumped, or its network drawn (`--topology`). */
import type { Command } from 'commander';
import { DEFAULT_SCENARIO } from './default-scenario.js';
import { EXIT, usageError } from './errors.js';
import { checkNames, engine, report } from './scenario-engine.js';
import { maxScenarioBytesOption } from './scenario-limits.js';

const FORMATS = ['text', 'mermaid', 'markdown', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

function format(text: string): Format {
  if (!(FORMATS as readonly string[]).includes(text))
    throw usageError(`--format must be ${FORMATS.slice(0, -1).join(', ')} or ${FORMATS.at(-1)}, not "${text}"`);
  return text as Format;
}

export function registerExplainCommand(program: Command): void {
  maxScenarioBytesOption(
    program
      .command('explain')
      .description('narrate a scenario packet by packet: what each endpoint did and learnt, and where and why a flow failed')
      .argument('[file]', 'scenario file (default: the built-in default scenario)')
      .option('--check <name>', 'only this check')
      .option(
        '--format <format>',
        'text, mermaid (one sequence diagram), markdown (one fenced diagram per check), json or html (one self-contained report: network, verdicts, a sequence diagram per check)',
        format,
        'text' as Format,
      )
      .option('--topology', 'draw the network instead (routers, hosts, servers; text, mermaid flowchart, markdown, json or html)'),
  ).action(async (file: string | undefined, opts: { check?: string; format: Format; topology?: boolean; maxScenarioBytes: number }) => {
    const e = await engine();
    const path = file ?? DEFAULT_SCENARIO;
    const { config } = await e.loadScenarioFile(path, { maxBytes: opts.maxScenarioBytes });
    if (opts.topology) {
      if (opts.check !== undefined) throw usageError('--topology draws the whole network: it takes no --check');
      const out = {
        text: () => e.topologyText(config),
        mermaid: () => e.topologyMermaid(config),
        markdown: () => `# ${config.name}\n\n\`\`\`mermaid\n${e.topologyMermaid(config)}\n\`\`\``,
        json: () => JSON.stringify(e.topologyJson(config), null, 2),
        html: async () => (await report()).htmlTopology(config, path),
      }[opts.format];
      console.log(await out());
      return;
    }
    if (opts.check !== undefined && !checkNames(config).includes(opts.check)) {
      throw usageError(`no check "${opts.check}" in ${path}; checks: ${checkNames(config).join(', ')}`);
    }
    const result = e.runScenario(config, { file: path, ...(opts.check !== undefined ? { only: opts.check } : {}) });
    const out = {
      text: () => [e.timelineText(result), ...result.checks.map((c) => e.explainText(c))].filter(Boolean).join(`\n\n${'-'.repeat(72)}\n\n`),
      mermaid: () => e.explainMermaidDocument(result),
      markdown: () => e.explainMarkdown(result),
      json: () => JSON.stringify(e.explainJson(result), null, 2),
      html: async () => (await report()).htmlReport([{ config, result }]),
    }[opts.format];
    console.log(await out());
    process.exitCode = result.failed ? EXIT.failed : EXIT.ok;
  });
}
