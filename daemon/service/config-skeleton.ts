import { parse } from 'yaml';
import { parseConfig } from '../config/load-config.js';
import type { NcupdConfig } from '../config/schema.js';

export interface SkeletonOptions {
  readonly name?: string;
  readonly path?: string;
  readonly webUser?: string;
}

/**
 * The configuration `ncupd install-service` writes when there is none: one instance and the main
 * settings commented out at their defaults (docs/configuration.md has every key). Validated by
 * the real schema before it is written.
 */
export function configSkeleton(options: SkeletonOptions = {}): { text: string; config: NcupdConfig } {
  const value = (text: string) => (/^[\w./@-]+$/.test(text) ? text : JSON.stringify(text));
  const text = `# ncupd configuration. Every key: docs/configuration.md. Check it with \`ncupd config check\`,
# then run \`ncupd install-service\` again: the service may write only to the folders of the
# instances listed here when it was installed (systemd/README.md).

instances:
  - name: ${value(options.name ?? 'cloud')}                 # used in commands (--instance), logs and status
    path: ${value(options.path ?? '/var/www/nextcloud')}    # install root, the folder with occ
    webUser: ${value(options.webUser ?? 'www-data')}           # owner of config.php; occ runs as this user
    # php: /usr/bin/php8.2          # PHP binary of the web server's version (default: php)
    # reloadCommand: [systemctl, reload, php8.2-fpm]   # after each code swap: opcache
    # windows:                      # when the daemon may apply an update (default: 03:00, 2 hours)
    #   - cron: "0 3 * * *"
    #     durationMinutes: 120
    # soakHours: 72                 # apply a release only this long after it was first offered
    # policy:
    #   majors: hold                # hold: report a new major and wait; allow: apply it

# stateDir: /var/lib/ncupd          # journal, history and snapshots
# cacheDir: /var/cache/ncupd        # verified release archives

daemon:
  logFormat: auto                   # journal under systemd, human on a terminal, or json
  # checkSchedule: "17 */6 * * *"   # when the update servers are asked
  # statusPort: 8765                # status endpoint on 127.0.0.1; 0 turns it off
  # operatorGroup: ncupd            # may use the control socket without root
  # tokenFile: /etc/ncupd/token     # bearer token for POST /runs (written by install-service)

# notifications:
#   - type: email
#     host: smtp.example.org
#     from: ncupd@example.org
#     to: [admin@example.org]
#     passwordFile: /etc/ncupd/smtp-password
`;
  return { text, config: parseConfig(parse(text), 'the configuration skeleton') };
}
