mod overtime;
