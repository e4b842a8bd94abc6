// A typed netadvisor client for TypeScript callers (the Backstage backend is one), written
// only against the types openapi-typescript generates from openapi.yaml. "./api" is that
// generated file: tests/test_spec_tools.py generates it into a temporary directory beside a
// copy of this file and type-checks both with `tsc --noEmit` (strict); nothing generated is
// committed. Every operation of the spec has a method here, and the type-level checks at
// the end fail to compile when an operation is added without one, or when an operation
// stops documenting one of the server's own refusals.

import type { components, operations, paths } from "./api";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type Evaluation = Schemas["Evaluation"];
export type SlackMessage = Schemas["SlackMessage"];
type OperationId = keyof operations;
type Method = "get" | "post";

/** The body of one documented response of an operation, in one media type. */
export type Content<K extends OperationId, S extends PropertyKey, M extends string> =
  S extends keyof operations[K]["responses"]
    ? operations[K]["responses"][S] extends { content: infer C }
      ? M extends keyof C
        ? C[M]
        : never
      : never
    : never;

type Query<K extends OperationId> = operations[K]["parameters"] extends { query?: infer Q }
  ? NonNullable<Q>
  : never;
type PathParams<K extends OperationId> = operations[K]["parameters"] extends { path: infer P }
  ? P
  : Record<string, never>;
type JsonBody<K extends OperationId> = operations[K] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;

/** The (path, method) pairs of paths whose operation is operation K. */
type RouteOf<K extends OperationId> = {
  [P in keyof paths]: {
    [M in Method]: paths[P][M] extends operations[K]
      ? operations[K] extends paths[P][M]
        ? { path: P; method: M }
        : never
      : never;
  }[Method];
}[keyof paths];

// One route per operation; a missing or mistyped entry does not compile.
const ROUTES: { [K in OperationId]: RouteOf<K> } = {
  listTrees: { path: "/v1/trees", method: "get" },
  getTree: { path: "/v1/trees/{tree_id}", method: "get" },
  listTreeVersions: { path: "/v1/trees/{tree_id}/versions", method: "get" },
  evaluateTree: { path: "/v1/trees/{tree_id}/evaluate", method: "post" },
  compareVersions: { path: "/v1/trees/{tree_id}/compare", method: "post" },
  evaluateBatch: { path: "/v1/evaluations", method: "post" },
  deriveFacts: { path: "/v1/facts", method: "post" },
  getTreeDiagram: { path: "/v1/trees/{tree_id}/diagram", method: "get" },
  livez: { path: "/livez", method: "get" },
  healthz: { path: "/healthz", method: "get" },
  readyz: { path: "/readyz", method: "get" },
  metrics: { path: "/metrics", method: "get" },
  openapi: { path: "/openapi.yaml", method: "get" },
  docs: { path: "/docs", method: "get" },
  docsWithSlash: { path: "/docs/", method: "get" },
  docsAsset: { path: "/docs/{asset}", method: "get" },
  advisorPage: { path: "/", method: "get" },
  advisorAsset: { path: "/ui/{asset}", method: "get" },
};

/** A documented error: the problem document the service (or the server before it) sent. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

export function isEvaluation(body: Content<"evaluateTree", 200, "application/json">): body is Evaluation {
  return "status" in body && "tree" in body;
}

export class NetadvisorClient {
  constructor(
    private readonly base: string,
    private readonly token?: string,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  private async send<K extends OperationId>(
    operation: K,
    options: {
      path?: PathParams<K>;
      query?: Query<K>;
      body?: JsonBody<K>;
      accept?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const route: { path: string; method: Method } = ROUTES[operation];
    const pathParams: Record<string, string> = { ...(options.path ?? {}) };
    let url = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = pathParams[name];
      if (value === undefined) throw new Error(`${operation}: no ${name}`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      if (typeof value === "object" && value !== null) {
        // form style, exploded: each answer is a query parameter of its own.
        for (const [key, item] of Object.entries(value)) search.append(key, String(item));
      } else {
        search.append(name, String(value));
      }
    }
    if ([...search].length > 0) url += `?${search}`;
    const headers: Record<string, string> = { ...options.headers };
    if (options.accept) headers.Accept = options.accept;
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await this.fetcher(new URL(url.replace(/^\//, ""), this.base), {
      method: route.method.toUpperCase(),
      headers,
      body,
    });
    if (response.status >= 400) {
      const problem: Problem = await response.json();
      throw new ProblemError(response.status, problem);
    }
    return response;
  }

  async listTrees(): Promise<Content<"listTrees", 200, "application/json">> {
    return (await this.send("listTrees")).json();
  }

  /** The tree, or null when `etag` is still current (304). */
  async getTree(
    tree_id: string,
    query: Query<"getTree"> = {},
    etag?: string,
  ): Promise<Content<"getTree", 200, "application/json"> | null> {
    const headers: Record<string, string> = etag ? { "If-None-Match": etag } : {};
    const response = await this.send("getTree", { path: { tree_id }, query, headers });
    return response.status === 304 ? null : response.json();
  }

  async listTreeVersions(tree_id: string): Promise<Content<"listTreeVersions", 200, "application/json">> {
    return (await this.send("listTreeVersions", { path: { tree_id } })).json();
  }

  async evaluate(
    tree_id: string,
    body: JsonBody<"evaluateTree">,
    version?: string,
  ): Promise<Evaluation> {
    const response = await this.send("evaluateTree", { path: { tree_id }, query: { version }, body });
    const result: Content<"evaluateTree", 200, "application/json"> = await response.json();
    if (!isEvaluation(result)) throw new Error("expected an evaluation");
    return result;
  }

  async evaluateForSlack(tree_id: string, body: JsonBody<"evaluateTree">): Promise<SlackMessage> {
    const response = await this.send("evaluateTree", {
      path: { tree_id },
      query: { format: "slack" },
      body,
    });
    const result: Content<"evaluateTree", 200, "application/json"> = await response.json();
    if (isEvaluation(result)) throw new Error("expected a Slack message");
    return result;
  }

  async evaluateAsMarkdown(
    tree_id: string,
    body: JsonBody<"evaluateTree">,
  ): Promise<Content<"evaluateTree", 200, "text/markdown">> {
    const response = await this.send("evaluateTree", {
      path: { tree_id },
      query: { format: "markdown" },
      body,
    });
    return response.text();
  }

  async compare(
    tree_id: string,
    body: JsonBody<"compareVersions">,
  ): Promise<Content<"compareVersions", 200, "application/json">> {
    return (await this.send("compareVersions", { path: { tree_id }, body })).json();
  }

  async evaluateBatch(body: JsonBody<"evaluateBatch">): Promise<Content<"evaluateBatch", 200, "application/json">> {
    return (await this.send("evaluateBatch", { body })).json();
  }

  async deriveFacts(body: JsonBody<"deriveFacts">): Promise<Content<"deriveFacts", 200, "application/json">> {
    return (await this.send("deriveFacts", { body })).json();
  }

  async diagram(
    tree_id: string,
    query: Query<"getTreeDiagram"> = {},
  ): Promise<Content<"getTreeDiagram", 200, "text/vnd.mermaid">> {
    return (await this.send("getTreeDiagram", { path: { tree_id }, query })).text();
  }

  async livez(): Promise<Content<"livez", 200, "application/json">> {
    return (await this.send("livez")).json();
  }

  async healthz(): Promise<Content<"healthz", 200, "application/json">> {
    return (await this.send("healthz")).json();
  }

  async readyz(): Promise<Content<"readyz", 200, "application/json">> {
    return (await this.send("readyz")).json();
  }

  async metrics(): Promise<Content<"metrics", 200, "text/plain">> {
    return (await this.send("metrics")).text();
  }

  async openapi(): Promise<Content<"openapi", 200, "application/yaml">> {
    return (await this.send("openapi")).text();
  }

  async docs(slash = false): Promise<Content<"docs", 200, "text/html">> {
    return (await this.send(slash ? "docsWithSlash" : "docs")).text();
  }

  async docsAsset(asset: PathParams<"docsAsset">["asset"]): Promise<Blob> {
    return (await this.send("docsAsset", { path: { asset } })).blob();
  }

  async advisorPage(): Promise<Content<"advisorPage", 200, "text/html">> {
    return (await this.send("advisorPage")).text();
  }

  async advisorAsset(
    asset: PathParams<"advisorAsset">["asset"],
  ): Promise<Content<"advisorAsset", 200, "text/javascript">> {
    return (await this.send("advisorAsset", { path: { asset } })).text();
  }
}

// A caller as the Backstage backend would write one.
export async function example(client: NetadvisorClient): Promise<string> {
  const trees = await client.listTrees();
  const first = trees.trees[0]?.id ?? "service-type";
  const evaluation = await client.evaluate(first, { answers: { consumers: "external" }, ask: "all" });
  const next = evaluation.next_question?.options.map((option) => option.label).join(", ") ?? "";
  const costs = evaluation.costs ? `${evaluation.costs.total.low}-${evaluation.costs.total.high}` : "n/a";
  const slack = await client.evaluateForSlack(first, { answers: {} });
  const markdown = await client.evaluateAsMarkdown(first, { answers: {} });
  const batch = await client.evaluateBatch({ requests: [{ tree: first, answers: {} }] });
  const failed = batch.results.filter((item) => "problem" in item).length;
  const facts = await client.deriveFacts({ objects: { kind: "List", items: [] } });
  const compared = await client.compare("cni", { answers: { network_policy: true } });
  const diagram = await client.diagram(first, { view: "path", answers: { consumers: "external" } });
  const versions = await client.listTreeVersions(first);
  const tree = await client.getTree(first, { version: versions.default_version });
  const ready = await client.readyz();
  try {
    await client.getTree("no-such-tree");
  } catch (error) {
    if (error instanceof ProblemError) return error.problem.suggestion ?? error.problem.detail;
  }
  return [
    next,
    costs,
    String(slack.blocks.length),
    markdown,
    String(failed),
    Object.keys(facts.answers).join(","),
    String(compared.changed),
    diagram,
    tree?.root ?? "not modified",
    String(ready.trees),
    (await client.livez()).status,
    (await client.healthz()).status,
    await client.metrics(),
    await client.openapi(),
    await client.docs(),
    await client.docs(true),
    String((await client.docsAsset("favicon-16x16.png")).size),
    await client.advisorPage(),
    await client.advisorAsset("app.js"),
  ].join("\n");
}

// Type-level checks: they fail to compile, not at run time.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// The server's own refusals (and 500) are documented, as problem+json, on every operation.
type Refusal = 400 | 408 | 414 | 417 | 431 | 500 | 501 | 503;
type Undocumented = { [K in OperationId]: Exclude<Refusal, keyof operations[K]["responses"]> }[OperationId];
type RefusalBodies = {
  [K in OperationId]: { [S in Refusal]: Content<K, S, "application/problem+json"> }[Refusal];
}[OperationId];

export const typeChecks: [
  Equal<Undocumented, never>,
  Equal<RefusalBodies, Problem>,
  Equal<Content<"evaluateTree", 200, "text/markdown">, string>,
  Equal<Content<"evaluateTree", 200, "application/json">, Evaluation | SlackMessage>,
  Equal<Content<"openapi", 200, "application/yaml">, string>,
  Equal<Content<"getTreeDiagram", 200, "text/vnd.mermaid">, string>,
] = [true, true, true, true, true, true];
