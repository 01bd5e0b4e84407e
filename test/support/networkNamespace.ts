import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/**
 * Another host as far as a client here can tell: a network namespace of its own, joined to this one
 * by a veth pair, this side at 10.213.x.1 and the namespace at 10.213.x.2 (`address`). Needs root
 * and iproute2; `remove()` deletes the namespace and both veth ends.
 */
export class NetworkNamespace {
	private constructor(
		readonly name: string,
		readonly address: string,
		private readonly hostEnd: string,
		private readonly namespaceEnd: string,
	) {}

	static create(): NetworkNamespace {
		const id = `${process.pid % 10_000}x${randomInt(1_000)}`;
		const name = `pm${id}`;
		const subnet = `10.213.${randomInt(1, 250)}`;
		ip('netns', 'add', name);
		try {
			ip('link', 'add', `pmh${id}`, 'type', 'veth', 'peer', 'name', `pmn${id}`);
			ip('link', 'set', `pmn${id}`, 'netns', name);
			ip('addr', 'add', `${subnet}.1/30`, 'dev', `pmh${id}`);
			ip('link', 'set', `pmh${id}`, 'up');
			ip('netns', 'exec', name, 'ip', 'addr', 'add', `${subnet}.2/30`, 'dev', `pmn${id}`);
			ip('netns', 'exec', name, 'ip', 'link', 'set', `pmn${id}`, 'up');
			// Its own loopback, for what runs inside to talk to itself.
			ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
		} catch (error) {
			ip('netns', 'del', name);
			throw error;
		}
		return new NetworkNamespace(name, `${subnet}.2`, `pmh${id}`, `pmn${id}`);
	}

	/** Holds back every packet `ms` milliseconds each way (tc netem): a round trip of 2 × ms. */
	delay(ms: number): void {
		execFileSync('tc', ['qdisc', 'add', 'dev', this.hostEnd, 'root', 'netem', 'delay', `${ms}ms`], { stdio: 'pipe' });
		ip('netns', 'exec', this.name, 'tc', 'qdisc', 'add', 'dev', this.namespaceEnd, 'root', 'netem', 'delay', `${ms}ms`);
	}

	remove(): void {
		ip('netns', 'del', this.name);
	}
}
