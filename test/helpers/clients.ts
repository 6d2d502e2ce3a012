/** HTTP clients bound to a chosen loopback source address (127.0.0.2, 127.0.0.3 …), for limits tests and the abuse bench. */
import { Agent, request } from 'undici';

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export class Client {
  readonly agent: Agent;

  constructor(readonly base: string, readonly from: string, connections = 4) {
    // undici takes the source address as a client option (in `connect` it is silently ignored).
    this.agent = new Agent({ localAddress: from, connections, pipelining: 1 } as ConstructorParameters<typeof Agent>[0]);
  }

  async send(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const r = await request(`${this.base}${path}`, {
      method,
      dispatcher: this.agent,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await r.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep text */
    }
    return { status: r.statusCode, body: parsed, headers: r.headers };
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply> {
    return this.send('POST', path, body, headers);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
