import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { ComposedItems, type Composed } from './composedItems';
import { composeMessages } from './compose/composeMessages';
import { configurationError, mailError, refusalBeforeSending } from './core/mailError';
import { SecretScrubber } from './core/secretScrubber';
import { loadAttachments } from './input/binaryFiles';
import { readMailAccount } from './input/credential';
import { openSendGuards, type SendGuards } from './input/ledger';
import { readRunSettings, type RunSettings } from './input/runSettings';
import { systemClock } from './plan/clock';
import { Pacer, plannedBatch } from './plan/pacer';
import { emlBinaries } from './result/emlBinary';
import { buildMailResult, type ItemOutcome, type MailResult } from './result/mailResult';
import { routeItems } from './result/outputs';
import type { MessageOutcome } from './send/delivery';
import { dispatch } from './send/dispatcher';
import type { MailCarrier } from './transport/mailCarrier';
import { carrierAccount, openCarrier, type CarrierChoice } from './transport/openCarrier';

/**
 * input → compose → plan → send → result. Configuration errors surface before anything is
 * sent; from the first send on, every problem is reported on its item and nothing throws.
 * Every text that leaves - output, error, log line - goes through the run's secret scrubber.
 */
export async function runPayrollMail(context: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	if (items.length === 0) return [[], []];

	let scrubber = new SecretScrubber();
	let settings: RunSettings;
	let composed: ComposedItems;
	let opened: Opened | undefined;
	try {
		settings = readRunSettings(context);
		composed = new ComposedItems(context, items.length, settings.sendMode);
		composed.check();
		if (!settings.dryRun) ({ opened, scrubber } = await open(context, settings));
	} catch (error) {
		const nodeError = asNodeError(context, error, scrubber);
		if (!context.continueOnFail()) throw nodeError;
		const refused = mailError('validation', 'ECONFIG', nodeError.message);
		return routeItems(items, items.map(() => buildMailResult({ refused })));
	}

	const outcomes = opened ? await send(context, composed, settings, opened) : await rehearse(context, composed.all(), settings);
	const results = outcomes.map((outcome) => scrubbed(buildMailResult(outcome), scrubber.with(outcome.request?.pdfPassword)));
	const emls = settings.includeEml ? await emlBinaries(context, outcomes) : undefined;
	emls?.failures.forEach((failure, index) => {
		if (failure) results[index].emlError = failure;
	});
	return routeItems(items, results, emls?.binaries);
}

/** What the server or an error said, without secrets; the clerk's own data is left as it is. */
function scrubbed(result: MailResult, scrubber: SecretScrubber): MailResult {
	const { response, error, messages } = result;
	return {
		...result,
		response: scrubber.scrubDeep(response),
		...(error ? { error: scrubber.scrubDeep(error) } : {}),
		...(messages ? { messages: messages.map((message) => ({ ...message, response: scrubber.scrubDeep(message.response), error: scrubber.scrubDeep(message.error) })) } : {}),
	};
}

function asNodeError(context: IExecuteFunctions, error: unknown, scrubber: SecretScrubber): NodeOperationError {
	const nodeError = error instanceof NodeOperationError ? error : new NodeOperationError(context.getNode(), error as Error);
	nodeError.message = scrubber.scrub(nodeError.message);
	if (nodeError.description) nodeError.description = scrubber.scrub(nodeError.description);
	return nodeError;
}

/** What a run sends through: the carrier, and the guards against sending twice or alongside another run. */
interface Opened {
	carrier: MailCarrier;
	guards: SendGuards;
}

/**
 * The SMTP transport from the credential, or the pickup folder, and the send guards (Skip Already
 * Sent's record, the account lock); checked before anything is sent. Comes with the scrubber that
 * knows the credentials' secrets.
 */
async function open(context: IExecuteFunctions, settings: RunSettings): Promise<{ opened: Opened; scrubber: SecretScrubber }> {
	const { delivery } = settings;
	let choice: CarrierChoice;
	let scrubber = new SecretScrubber();
	if (delivery.kind === 'pickupDirectory') {
		choice = delivery;
	} else {
		const account = await readMailAccount(context, settings.authentication);
		const accountScrubber = account.scrubber;
		scrubber = accountScrubber;
		const transcript = settings.smtpLog
			? (line: string) => context.logger.info(`Payroll Mail SMTP ${accountScrubber.scrub(line)}`)
			: undefined;
		choice = { kind: 'smtp', settings: account.settings, tuning: settings.tuning, transcript, scrubber, tokens: account.tokens };
	}
	const carrier = await openCarrier(choice).catch((error: Error) => {
		if (choice.kind === 'smtp') throw error;
		throw configurationError(context.getNode(), error.message);
	});
	let guards: SendGuards | undefined;
	try {
		guards = await openSendGuards(context, settings, carrierAccount(choice));
	} finally {
		if (!guards) carrier.close();
	}
	scrubber.learn(...guards.secrets);
	return { opened: { carrier, guards }, scrubber };
}

/** Dry run: every mail is built and its attachments read and checked; nothing is sent. */
async function rehearse(context: IExecuteFunctions, composed: Composed[], settings: RunSettings): Promise<ItemOutcome[]> {
	let position = 0;
	const outcomes: ItemOutcome[] = [];
	for (const entry of composed) {
		if ('refused' in entry) {
			outcomes.push(entry);
			continue;
		}
		const { request } = entry;
		try {
			await loadAttachments(context, request);
		} catch (error) {
			outcomes.push({ request, refused: refusalBeforeSending('attachment', error) });
			continue;
		}
		const rehearsed = composeMessages(request).map(({ envelopeTo }) => ({
			envelopeTo,
			batch: plannedBatch(position++, settings.pacing.batchSize),
		}));
		outcomes.push({ request, rehearsed });
	}
	return outcomes;
}

async function send(context: IExecuteFunctions, composed: ComposedItems, settings: RunSettings, { carrier, guards }: Opened): Promise<ItemOutcome[]> {
	let sent: MessageOutcome[];
	try {
		sent = await dispatch(composed, {
			carrier,
			pacer: new Pacer(settings.pacing, systemClock),
			clock: systemClock,
			// The ledger's keys are made of the attachments' digests.
			loadAttachments: async (request) => loadAttachments(context, request, { withDigests: settings.skipAlreadySent }),
			ledger: guards.ledger,
			account: guards.account,
			execution: context.getExecutionId(),
			includeEml: settings.includeEml,
			maxRetries: settings.maxRetries,
			retryWaitMs: settings.retryWaitMs,
			parallelConnections: settings.tuning.parallelConnections,
			signal: context.getExecutionCancelSignal() ?? new AbortController().signal,
		});
	} finally {
		carrier.close();
		await guards.close().catch(() => undefined);
	}

	const byItem = new Map<number, MessageOutcome[]>();
	for (const outcome of sent) {
		const { itemIndex } = outcome.message.request;
		byItem.set(itemIndex, [...(byItem.get(itemIndex) ?? []), outcome]);
	}
	return composed.all().map((entry): ItemOutcome =>
		'refused' in entry ? entry : { request: entry.request, messages: byItem.get(entry.request.itemIndex) ?? [] },
	);
}
