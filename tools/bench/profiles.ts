/**
 * The two servers the comparison sends to. LAN relay: plain SMTP on loopback, no login, greets at
 * once (the CPU-bound case). Internet provider: STARTTLS and AUTH LOGIN, in a network namespace of
 * its own behind a veth pair that holds every packet 20 ms each way (a 40 ms round trip), made and
 * removed by the bench; that needs root and iproute2. The delay is tc netem's where the kernel has
 * it, otherwise a relay in the sink's process that holds every chunk as long.
 */
import { NetworkNamespace } from '../../test/support/networkNamespace';
import type { SinkAddress } from './scenarios';
import { SmtpSink } from './smtpSink';

export type ProfileId = 'lan' | 'internet';

export interface Profile {
	id: ProfileId;
	label: string;
	/** Employees per measurement: fewer where every mail costs round trips. */
	employees: number;
}

/** Delay of every packet, each way, in the Internet provider profile. */
export const ONE_WAY_DELAY_MS = 20;

export function profiles(quick: boolean): Profile[] {
	return [
		{ id: 'lan', label: 'LAN relay (plaintext, no login, loopback)', employees: quick ? 100 : 1000 },
		{
			id: 'internet',
			label: `Internet provider (STARTTLS, AUTH LOGIN, ${2 * ONE_WAY_DELAY_MS} ms round trip, in a network namespace)`,
			employees: quick ? 30 : 100,
		},
	];
}

export interface ProfileServer {
	sink: SmtpSink;
	address: SinkAddress;
	/** How the round trip is made: tc netem, or the relay. */
	delay?: string;
	stop(): void;
}

/** Starts the profile's sink; for the Internet provider, throws a reason to skip it where no namespace can be made. */
export async function startProfileServer(profile: Profile): Promise<ProfileServer> {
	if (profile.id === 'lan') {
		const sink = await SmtpSink.start({ greetingDelay: false });
		return { sink, address: { host: '127.0.0.1', provider: false }, stop: () => sink.stop() };
	}
	let network: NetworkNamespace;
	try {
		network = NetworkNamespace.create();
	} catch (error) {
		throw new ProfileUnavailable(`no network namespace could be made (root, iproute2 needed): ${(error as Error).message.split('\n')[0]}`);
	}
	try {
		let delay = `tc netem, ${ONE_WAY_DELAY_MS} ms each way on both veth ends`;
		try {
			network.delay(ONE_WAY_DELAY_MS);
		} catch (error) {
			delay = `a relay in the sink's process, ${ONE_WAY_DELAY_MS} ms each way (tc netem is not in this kernel: ${(error as Error).message.split('\n').slice(-2).join(' ').trim()})`;
		}
		const relayMs = delay.startsWith('tc') ? undefined : ONE_WAY_DELAY_MS;
		const sink = await SmtpSink.start({ greetingDelay: false, provider: true, namespace: network.name, host: network.address, delayMs: relayMs });
		return {
			sink,
			address: { host: network.address, provider: true },
			delay,
			stop: () => {
				sink.stop();
				network.remove();
			},
		};
	} catch (error) {
		network.remove();
		throw error;
	}
}

/** The profile cannot run on this machine; the bench says why and goes on without it. */
export class ProfileUnavailable extends Error {}
