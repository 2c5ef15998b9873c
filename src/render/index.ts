/**
 * render: a Plan in, every node's config files out. Pure: reads templates, never writes
 * (except writeRendered, which the `render --out` command calls) and never touches a node.
 *
 * Templates are data: templates/<feature>/<platform>.j2 (nunjucks = Jinja2 syntax), where
 * platform is the switch's platform (frr, cumulus) or "server". templates/README.md lists
 * the fields of the context every template receives.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { OperationError, UsageError } from '../errors.js';
import type { NodePlan, Plan, RedistributeNeighbor, SwitchPlan } from '../topology/types.js';
import { configFilesFor, isSwitch, type ConfigKind, type RenderedFile } from './config-kinds.js';

/** a node's files, by kind, in table order (CONFIG_KINDS) */
export type RenderedNode = Map<ConfigKind, RenderedFile>;
/** node name -> its files */
export type Rendered = Map<string, RenderedNode>;

export type TemplatePlatform = SwitchPlan['platform'] | 'server';


/** What every template sees (documented in templates/README.md). */
export interface TemplateContext {
  topology: string;
  hostname: string;
  role: NodePlan['role'];
  platform: TemplatePlatform;
  isLeaf: boolean;
  node: NodePlan;
  subnet: string;
  gateway: string;
  prefixLength: number;
  redistributeNeighbor: RedistributeNeighbor;
  /** the template file, relative to templates/, for the header of the rendered file */
  template: string;
}

// src/render/index.ts and dist/render/index.js both sit two levels below the package root.
export const DEFAULT_TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

export function renderAll(plan: Plan, templatesDir = DEFAULT_TEMPLATES_DIR): Rendered {
  const out: Rendered = new Map();
  for (const node of allNodes(plan)) out.set(node.name, renderNode(plan, node.name, templatesDir));
  return out;
}

export function renderNode(plan: Plan, nodeName: string, templatesDir = DEFAULT_TEMPLATES_DIR): RenderedNode {
  const node = allNodes(plan).find((n) => n.name === nodeName);
  if (!node) throw new UsageError(`no node named ${nodeName} in ${plan.file}`);
  const env = environment(templatesDir);
  const files: RenderedNode = new Map();
  for (const { kind, path } of configFilesFor(node)) {
    const template = templateFor(templatesDir, kind, platformOf(node));
    files.set(kind, { kind, path, text: renderTemplate(env, template, contextFor(plan, node, template), node.name) });
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

export function platformOf(node: NodePlan): TemplatePlatform {
  return isSwitch(node) ? node.platform : 'server';
}

export function contextFor(plan: Plan, node: NodePlan, template: string): TemplateContext {
  return {
    topology: plan.name,
    hostname: node.name,
    role: node.role,
    platform: platformOf(node),
    isLeaf: node.role === 'leaf',
    node,
    subnet: plan.subnet,
    gateway: plan.gateway,
    prefixLength: plan.prefixLength,
    redistributeNeighbor: plan.redistributeNeighbor,
    template,
  };
}

function allNodes(plan: Plan): NodePlan[] {
  return [...plan.switches, ...plan.servers];
}

function templateFor(templatesDir: string, feature: string, platform: TemplatePlatform): string {
  const name = `${feature}/${platform}.j2`;
  if (!existsSync(join(templatesDir, name))) {
    throw new UsageError(`no template ${name} in ${templatesDir}: platform ${platform} has no ${feature} config`);
  }
  return name;
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

function environment(templatesDir: string): nunjucks.Environment {
  let env = environments.get(templatesDir);
  if (!env) {
    // Config files are not HTML (no escaping); a misspelt variable must fail, not render as ''.
    env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir), {
      autoescape: false,
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    });
    environments.set(templatesDir, env);
  }
  return env;
}

