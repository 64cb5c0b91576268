import type { KlaxonConfig } from '@klaxon/config';
import { compileMatcher, type Incident } from '@klaxon/domain';

/**
 * Where an incident is posted in Slack: the `slackChannel` of the first route of its policy whose labels
 * match it, else its policy's `slackChannel`; none, nowhere. Read from the configuration now, so a channel
 * added later takes the incidents opened after it.
 */
export function slackChannels(config: Pick<KlaxonConfig, 'routes' | 'policies'>) {
  const routes = config.routes.flatMap((route) => {
    const matcher = compileMatcher(route.match);
    return route.slackChannel && matcher.ok ? [{ ...route, matcher: matcher.value }] : [];
  });
  return (incident: Pick<Incident, 'labels' | 'policy'>): string | undefined =>
    routes.find((r) => r.policy === incident.policy && r.matcher.matches(incident.labels))?.slackChannel ??
    config.policies[incident.policy]?.slackChannel;
}
