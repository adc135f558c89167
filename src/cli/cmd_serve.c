/* placeholder replaced below */
int cmd_serve(int argc, char **argv);
int cmd_serve(int argc, char **argv) { return 2; }
