/**
 * Start the fake platforms child (./fakes-child.ts) and build the daemon environment that points
 * the default checkers at it. Only base URLs and tokens change, plus twitter's client-side rate
 * limit: the real API's 450 per 15 min would make the single-link phase measure the limiter.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DISCORD_TOKEN, TWITTER_TOKEN, type Tweet } from '../lib/fake-platforms.js';
import { ROOT } from './daemon.js';

export interface RunningFakes {
  pid: number;
  base: string;
  env: Record<string, string>;
  addTweets(tweets: Array<[string, Tweet]>): Promise<void>;
  stop(): Promise<void>;
}

export async function startFakes(): Promise<RunningFakes> {
  const child: ChildProcess = fork(join(ROOT, 'scripts/bench/fakes-child.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`fake platforms exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const p = 'PROOFKEEP_CHECKERS_PLATFORMS';
  const env: Record<string, string> = {
    PROOFKEEP_CHECKERS_ENABLED: 'true',
    PROOFKEEP_CHECKERS_VERIFY_ON_SUBMIT: 'true',
    [`${p}_TWITTER_BASE_URL`]: `${base}/twitter`,
    [`${p}_TWITTER_BEARER_TOKEN`]: TWITTER_TOKEN,
    [`${p}_TWITTER_LIMIT_INTERVAL_CAP`]: '100000',
    [`${p}_TWITTER_LIMIT_INTERVAL_MS`]: '1000',
    [`${p}_TWITTER_LIMIT_CONCURRENCY`]: '64',
    [`${p}_GITHUB_BASE_URL`]: `${base}/github`,
    [`${p}_KEYBASE_URL_TEMPLATE`]: `${base}/keybase/{identity}/NextID/{avatar}.json`,
    [`${p}_DNS_DOH_URL`]: `${base}/dns/dns-query`,
    [`${p}_DISCORD_BASE_URL`]: `${base}/discord/api/v10`,
    [`${p}_DISCORD_BOT_TOKEN`]: DISCORD_TOKEN,
    [`${p}_MINDS_BASE_URL`]: `${base}/minds`,
    // ActivityPub hosts are names in links; none of the benchmark's links use them. Off, so
    // nothing resolves a name through DNS.
    [`${p}_ACTIVITYPUB_ENABLED`]: 'false',
  };
  let acks: Array<() => void> = [];
  child.on('message', () => {
    const a = acks;
    acks = [];
    for (const r of a) r();
  });
  return {
    pid: child.pid!,
    base,
    env,
    async addTweets(tweets) {
      // In slices: one IPC message per few thousand tweets keeps each small.
      for (let i = 0; i < tweets.length; i += 2000) {
        await new Promise<void>((r) => {
          acks.push(r);
          child.send({ tweets: tweets.slice(i, i + 2000) });
        });
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
