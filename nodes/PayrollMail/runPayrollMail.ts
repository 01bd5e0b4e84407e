import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { AddressError } from './compose/addresses';
import { loadAttachments, PropertyListError } from './compose/attachments';
import { composeMessages } from './compose/composeMessages';
import type { MailRequest } from './compose/mailRequest';
import { readMailRequest } from './compose/readMailRequest';
import { systemClock } from './plan/clock';
import { Pacer, plannedBatch } from './plan/pacer';
import { buildMailResult, type ItemOutcome } from './result/mailResult';
import { emlBinaries } from './result/emlBinary';
import { routeItems } from './result/outputs';
import { readRunSettings, type RunSettings } from './runSettings';
import { dispatch, type MailCarrier, type MessageOutcome } from './send/dispatcher';
import { checkPickupDirectory } from './send/pickupDirectory';
import { pickupCarrier } from './send/pickupCarrier';
import { SentLedger } from './send/sentLedger';
import { refusalBeforeSending, type MailError } from './mailError';
import { readSmtpSettings, SmtpSettingsError } from './transport/smtpSettings';
import { openSmtpTransport } from './transport/smtpTransport';

type Composed = { request: MailRequest } | { refused: MailError; field?: string };

/**
 * item → compose → plan → send → result. Configuration errors surface before anything is
 * sent; from the first send on, every problem is reported on its item and nothing throws.
 */
export async function runPayrollMail(context: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	if (items.length === 0) return [[], []];

	let settings: RunSettings;
	let composed: Composed[];
	try {
		settings = readRunSettings(context);
		composed = items.map((_, itemIndex) => composeItem(context, itemIndex));
		refuseUnusableSender(context, composed);
	} catch (error) {
		if (!context.continueOnFail()) throw asNodeError(context, error);
		const refused: MailError = { message: (error as Error).message, code: 'ECONFIG', permanent: true, stage: 'validation' };
		return routeItems(items, items.map(() => buildMailResult({ refused })));
	}

	const outcomes = settings.dryRun
		? await rehearse(context, composed, settings)
		: await send(context, composed, settings);
	const results = outcomes.map(buildMailResult);
	const emls = settings.includeEml ? await emlBinaries(context, outcomes) : undefined;
	emls?.failures.forEach((failure, index) => {
		if (failure) results[index].emlError = failure;
	});
	return routeItems(items, results, emls?.binaries);
}

function asNodeError(context: IExecuteFunctions, error: unknown): NodeOperationError {
	return error instanceof NodeOperationError ? error : new NodeOperationError(context.getNode(), error as Error);
}

function composeItem(context: IExecuteFunctions, itemIndex: number): Composed {
	try {
		return { request: readMailRequest(context, itemIndex) };
	} catch (error) {
		if (error instanceof PropertyListError) {
			throw new NodeOperationError(context.getNode(), error.message, { itemIndex });
		}
		const field = error instanceof AddressError ? error.field : undefined;
		return { refused: refusalBeforeSending('validation', error), field };
	}
}

/** A sender that is wrong for every item is the node's configuration, not the employees' data. */
function refuseUnusableSender(context: IExecuteFunctions, composed: Composed[]): void {
	const senderRefused = (entry: Composed) => 'refused' in entry && entry.field === 'From Email';
	if (composed.every(senderRefused)) {
		const [first] = composed as Array<{ refused: MailError }>;
		throw new NodeOperationError(context.getNode(), first.refused.message, { itemIndex: 0 });
	}
}

/** Dry run: every mail is built and its attachments read and checked; nothing is sent. */
async function rehearse(
	context: IExecuteFunctions,
	composed: Composed[],
	settings: RunSettings,
): Promise<ItemOutcome[]> {
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

async function send(context: IExecuteFunctions, composed: Composed[], settings: RunSettings): Promise<ItemOutcome[]> {
	const carrier = await openCarrier(context, settings);
	let sent: MessageOutcome[];
	try {
		sent = await dispatch(
			composed.flatMap((entry) => ('request' in entry ? composeMessages(entry.request) : [])),
			{
				transport: carrier,
				pacer: new Pacer(settings.pacing, systemClock),
				clock: systemClock,
				// The ledger's keys are made of the attachments' digests.
				loadAttachments: async (request) =>
					loadAttachments(context, request, { withDigests: settings.skipAlreadySent }),
				ledger: settings.skipAlreadySent ? new SentLedger(context.getWorkflowStaticData('node')) : undefined,
				includeEml: settings.includeEml,
				maxRetries: settings.maxRetries,
				retryWaitMs: settings.retryWaitMs,
				parallelConnections: settings.tuning.parallelConnections,
				signal: context.getExecutionCancelSignal() ?? new AbortController().signal,
			},
		);
	} finally {
		carrier.close();
	}

	const byItem = new Map<number, MessageOutcome[]>();
	for (const outcome of sent) {
		const { itemIndex } = outcome.message.request;
		byItem.set(itemIndex, [...(byItem.get(itemIndex) ?? []), outcome]);
	}
	return composed.map((entry): ItemOutcome =>
		'refused' in entry ? entry : { request: entry.request, messages: byItem.get(entry.request.itemIndex) ?? [] },
	);
}

/** The SMTP transport from the credential, or the pickup folder; checked before anything is sent. */
async function openCarrier(context: IExecuteFunctions, settings: RunSettings): Promise<MailCarrier & { close(): void }> {
	const { delivery } = settings;
	if (delivery.kind === 'pickupDirectory') {
		try {
			await checkPickupDirectory(delivery.directory);
		} catch (error) {
			throw asNodeError(context, error);
		}
		return pickupCarrier(delivery.directory);
	}
	let smtpSettings;
	try {
		smtpSettings = readSmtpSettings(await context.getCredentials('payrollSmtpApi'));
	} catch (error) {
		throw error instanceof SmtpSettingsError
			? new NodeOperationError(context.getNode(), `Payroll Mail SMTP credential: ${error.message}`)
			: asNodeError(context, error);
	}
	const transcript = settings.smtpLog ? (line: string) => context.logger.info(`Payroll Mail SMTP ${line}`) : undefined;
	return openSmtpTransport(smtpSettings, settings.tuning, transcript);
}
