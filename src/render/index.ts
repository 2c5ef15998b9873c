/**
 * render: a Plan in, every node's config files out. Pure: reads templates, never writes
 * (except writeRendered, which the `render --out` command calls) and never touches a node.
 *
 * Templates are data (nunjucks = Jinja2 syntax): each of a platform's files names its
 * template in the platform's templates folder (src/platforms); the built-in platforms use
 * templates/<feature>/<platform>.j2. templates/README.md lists the fields of the context
 * every template receives.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import nunjucks from 'nunjucks';
import { OperationError, UsageError } from '../errors.js';
import type { BgpOptions, Ipv6Plan, NodePlan, Plan, RedistributeNeighbor } from '../topology/types.js';
import { platformOf, type ConfigFileSpec, type Platform, type RenderedFile } from '../platforms/index.js';
import { BUILTIN_TEMPLATES } from '../platforms/templates.js';

/** a node's files, by kind, in its platform's order */
export type RenderedNode = Map<string, RenderedFile>;
/** node name -> its files */
export type Rendered = Map<string, RenderedNode>;


/** What every template sees (documented in templates/README.md). */
interface TemplateContext {
  topology: string;
  hostname: string;
  role: NodePlan['role'];
  /** the node's platform's name */
  platform: string;
  isLeaf: boolean;
  node: NodePlan;
  subnet: string;
  gateway: string;
  prefixLength: number;
  /** dual stack: the shared IPv6 prefix and gateway; null for an IPv4-only topology */
  ipv6: Ipv6Plan | null;
  redistributeNeighbor: RedistributeNeighbor;
  /** fabric-wide BGP options: `bfd`, `gracefulRestart` (each absent when off) */
  bgp: BgpOptions;
  /** the template file, relative to its platform's templates folder, for the header of the rendered file */
  template: string;
}

/** `templatesDir`: read every platform's templates from there instead (tests) */
export function renderAll(plan: Plan, templatesDir?: string): Rendered {
  const out: Rendered = new Map();
  for (const node of allNodes(plan)) out.set(node.name, renderNode(plan, node.name, templatesDir));
  return out;
}

export function renderNode(plan: Plan, nodeName: string, templatesDir?: string): RenderedNode {
  const node = allNodes(plan).find((n) => n.name === nodeName);
  if (!node) throw new UsageError(`no node named ${nodeName} in ${plan.file}`);
  const platform = platformOf(node);
  const dir = templatesDir ?? platform.templates;
  const env = environment(dir);
  const files: RenderedNode = new Map();
  for (const spec of platform.files.filter((f) => f.appliesTo?.(node) ?? true)) {
    const template = templateFor(dir, spec, platform);
    files.set(spec.kind, { kind: spec.kind, path: spec.path, text: renderTemplate(env, template, contextFor(plan, node, template), node.name) });
  }
  return files;
}

/** Writes DIR/<node>/<path> for every rendered file; returns the paths written. */
export function writeRendered(outDir: string, rendered: Rendered): string[] {
  const written: string[] = [];
  for (const [node, files] of rendered) {
    for (const { path, text } of files.values()) {
      const target = join(outDir, node, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      written.push(target);
    }
  }
  return written;
}

function contextFor(plan: Plan, node: NodePlan, template: string): TemplateContext {
  return {
    topology: plan.name,
    hostname: node.name,
    role: node.role,
    platform: platformOf(node).name,
    isLeaf: node.role === 'leaf',
    node,
    subnet: plan.subnet,
    gateway: plan.gateway,
    prefixLength: plan.prefixLength,
    ipv6: plan.ipv6 ?? null,
    redistributeNeighbor: plan.redistributeNeighbor,
    bgp: plan.bgp,
    template,
  };
}

function allNodes(plan: Plan): NodePlan[] {
  return [...plan.switches, ...plan.servers];
}

function templateFor(templatesDir: string, spec: ConfigFileSpec, platform: Platform): string {
  if (!existsSync(join(templatesDir, spec.template))) {
    throw new UsageError(`no template ${spec.template} in ${templatesDir}: platform ${platform.name} has no ${spec.kind} config`);
  }
  return spec.template;
}

function renderTemplate(env: nunjucks.Environment, template: string, ctx: TemplateContext, node: string): string {
  try {
    return env.render(template, ctx);
  } catch (e) {
    // A template bug, not bad input: name the node and template so it can be fixed.
    throw new OperationError(`${node}: rendering ${template} failed: ${(e as Error).message}`);
  }
}

const environments = new Map<string, nunjucks.Environment>();

/** A platform's templates may extend the built-in ones (`{% extends "frr/frr.j2" %}`). */
function environment(templatesDir: string): nunjucks.Environment {
  let env = environments.get(templatesDir);
  if (!env) {
    const searchPath = templatesDir === BUILTIN_TEMPLATES ? [templatesDir] : [templatesDir, BUILTIN_TEMPLATES];
    // Config files are not HTML (no escaping); a misspelt variable must fail, not render as ''.
    env = new nunjucks.Environment(new nunjucks.FileSystemLoader(searchPath), {
      autoescape: false,
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    });
    environments.set(templatesDir, env);
  }
  return env;
}

