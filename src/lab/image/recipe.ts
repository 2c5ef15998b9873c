/**
 * What goes into the Apache image: Debian's own apache2 files plus exactly the shared
 * libraries its binary and enabled modules load, configured the way apache2's postinst
 * would configure a fresh install. Bump RECIPE_VERSION whenever anything here changes,
 * so cached tarballs built from the old recipe are not reused.
 */

export const RECIPE_VERSION = 3;

/**
 * Every package unpacked into the rootfs. The libraries are what apache2, apr and
 * apr-util link against; a library that goes missing in a later Debian release shows up
 * as a failed `apache2 -t` in the chroot, not as a broken container.
 */
export const IMAGE_PACKAGES = [
  'apache2',
  'apache2-bin',
  'apache2-data',
  'media-types', // /etc/mime.types, which mod_mime refuses to start without
  'libc6',
  'libgcc-s1',
  'libcrypt1',
  'libapr1',
  'libaprutil1',
  'libexpat1',
  'libuuid1',
  'libpcre2-8-0',
  'zlib1g',
] as const;

/** The modules a fresh Debian install enables (postinst), before "Depends:" lines add theirs. */
export const ENABLED_MODULES = [
  'mpm_event',
  'authz_host', 'auth_basic', 'access_compat', 'authn_file', 'authz_user',
  'alias', 'dir', 'autoindex',
  'env', 'mime', 'negotiation', 'setenvif',
  'filter', 'deflate',
  'status', 'reqtimeout',
];

export const ENABLED_CONFS = [
  'charset', 'localized-error-pages', 'other-vhosts-access-log', 'security', 'serve-cgi-bin',
  'cldemo', // ours, written below
];

export const ENABLED_SITES = ['000-default'];

/**
 * What Debian's envvars file exports. The image sets these as its environment, so apache2
 * runs in the foreground as PID 1 without a shell sourcing envvars through apache2ctl.
 */
export const APACHE_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C',
  APACHE_RUN_USER: 'www-data',
  APACHE_RUN_GROUP: 'www-data',
  APACHE_PID_FILE: '/var/run/apache2/apache2.pid',
  APACHE_RUN_DIR: '/var/run/apache2',
  APACHE_LOCK_DIR: '/var/lock/apache2',
  APACHE_LOG_DIR: '/var/log/apache2',
};

export const APACHE_CMD = ['/usr/sbin/apache2', '-D', 'FOREGROUND'];

/** Files and trees no running httpd reads: docs, maintainer helpers, cron and init glue. */
export const PRUNED_PATHS = [
  'usr/share/doc',
  'usr/share/man',
  'usr/share/lintian',
  'usr/share/bug',
  'usr/share/bash-completion',
  'usr/share/locale',
  'usr/share/apache2', // icons and error pages only autoindex/mod_include use, maintainer helpers
  'usr/sbin/a2enmod', 'usr/sbin/a2dismod', 'usr/sbin/a2enconf', 'usr/sbin/a2disconf',
  'usr/sbin/a2ensite', 'usr/sbin/a2dissite', 'usr/sbin/a2query', // perl scripts; no perl here
  'usr/sbin/apache2ctl', 'usr/sbin/apachectl', // /bin/sh scripts; no shell here
  'etc/cron.daily',
  'etc/logrotate.d',
  'etc/init.d',
  'etc/default',
  'lib/systemd',
  'var/cache/apache2',
];

export const PASSWD = [
  'root:x:0:0:root:/root:/usr/sbin/nologin',
  'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n');

export const GROUP = ['root:x:0:', 'adm:x:4:', 'www-data:x:33:', 'nogroup:x:65534:', ''].join('\n');

export const NSSWITCH = ['passwd: files', 'group: files', 'hosts: files dns', ''].join('\n');

/** A container's name is not known at build time, so the page is static. */
export const INDEX_HTML = [
  '<!DOCTYPE html>',
  '<html><head><title>cldemo Apache</title></head>',
  '<body><h1>cldemo Apache</h1><p>Debian apache2, served from a routable container.</p></body></html>',
  '',
].join('\n');

/**
 * Our one configuration file. ServerName stops the "could not reliably determine the
 * server's fully qualified domain name" warning at every start. The MPM sizing: Debian's
 * defaults start two workers of 25 threads each; a fabric of 256 demo containers on a
 * small box then runs 12,800 threads (8 GB, load 90) to serve a handful of requests. One
 * worker with a few threads is still a real Apache answering real HTTP.
 */
export const CLDEMO_CONF = [
  '# Added by cldemo.',
  'ServerName localhost',
  '<IfModule mpm_event_module>',
  '    StartServers 1',
  '    ServerLimit 1',
  '    ThreadLimit 8',
  '    ThreadsPerChild 8',
  '    MinSpareThreads 1',
  '    MaxSpareThreads 8',
  '    MaxRequestWorkers 8',
  '</IfModule>',
  '',
].join('\n');

/**
 * Logs go to the container's stdout/stderr, so `docker logs` shows them and nothing grows
 * inside the container. The paths are the ones Debian's configuration writes to.
 */
export const LOG_LINKS: Record<string, string> = {
  'var/log/apache2/error.log': '/dev/stderr',
  'var/log/apache2/access.log': '/dev/stdout',
  'var/log/apache2/other_vhosts_access.log': '/dev/stdout',
};
